// PM2 apps of Wave: `radio.wave` (the server) and `telegram-stream` (the Telegram daemon).
// The package is ESM; PM2 7 loads this file with Node's require(esm) and reads its `apps` export.
// Wave itself starts `telegram-stream` from telegramStreamApp(), so the CLI and the API agree.
// Both run the build (`npm run build` first).
import { join, resolve } from 'node:path';
import { config as loadDotenv } from 'dotenv';

const ROOT = import.meta.dirname;
// Like Wave, take DATA_DIR/LOG_DIR/PORT from .env when the environment does not set them.
loadDotenv({ path: join(ROOT, '.env'), quiet: true });

/** The Telegram stream daemon: one ffmpeg pushing to the ingest; Wave decides when it runs. */
export function telegramStreamApp({ dataDir, logDir, nodeEnv = 'production' }) {
  return {
    name: 'telegram-stream',
    script: join(ROOT, 'dist/scripts/telegramStreamProcess.js'),
    cwd: ROOT,
    instances: 1,
    exec_mode: 'fork',
    // The daemon reconnects to the ingest itself; a crash is for the operator (or Wave) to see, not to loop on.
    autorestart: false,
    max_memory_restart: '500M',
    kill_timeout: 5000,
    // The daemon writes its own log (telegram-stream.log); these catch what escapes it.
    out_file: join(logDir, 'pm2-telegram-stream-out.log'),
    error_file: join(logDir, 'pm2-telegram-stream-error.log'),
    time: true,
    merge_logs: true,
    // PM2 copies the starting process's environment (and `pm2 describe`/`pm2 env` show it); Wave's secrets
    // (API token, a password inside REDIS_URL or DATABASE_URL) are not the daemon's business.
    filter_env: ['WAVE_API_TOKEN', 'REDIS_URL', 'DATABASE_URL'],
    env: { NODE_ENV: nodeEnv, DATA_DIR: dataDir, LOG_DIR: logDir },
  };
}

/** The Wave server. */
export function waveApp({ dataDir, logDir }) {
  return {
    name: 'radio.wave',
    script: join(ROOT, 'dist/main.js'),
    cwd: ROOT,
    instances: 1,
    exec_mode: 'fork',
    // Wave ends itself within 10 s of SIGTERM; give it a little more before SIGKILL.
    kill_timeout: 12_000,
    out_file: join(logDir, 'pm2-radio.wave-out.log'),
    error_file: join(logDir, 'pm2-radio.wave-error.log'),
    time: true,
    merge_logs: true,
    env: { DATA_DIR: dataDir, LOG_DIR: logDir },
    env_production: { NODE_ENV: 'production', PORT: 6970, SOCKET_PORT: 6971 },
  };
}

const paths = {
  dataDir: resolve(ROOT, process.env.DATA_DIR ?? 'data'),
  logDir: resolve(ROOT, process.env.LOG_DIR ?? 'logs'),
};

export const apps = [waveApp(paths), telegramStreamApp({ ...paths, nodeEnv: process.env.NODE_ENV ?? 'production' })];
