import { readDestinations } from '../telegram/daemon/simulcast.js';
import 'reflect-metadata';
import { config as loadDotenv } from 'dotenv';
import { join } from 'node:path';
import { createWaveLogger, flushLogger } from '../common/logger.js';
import { registerSecret } from '../common/redaction.js';
import { validateEnvironment } from '../config/env.validation.js';
import { ProcessRepository } from '../repositories/process.repository.js';
import { StorageRepository } from '../repositories/storage.repository.js';
import { commandFromPacket, DAEMON_MESSAGE_TYPE, DaemonMessage } from '../contracts/daemon-messages.js';
import { coverImagePath, daemonEnvironment, readPlaylist, readTelegramConfig, tracksDir } from '../telegram/daemon/daemon-settings.js';
import { TelegramStreamDaemon } from '../telegram/daemon/telegram-stream-daemon.js';

/**
 * PM2 app `telegram-stream`: pushes the station to Telegram's RTMPS ingest. Reads its settings from
 * DATA_DIR (telegram-config.json, audio-tracks.json), logs to LOG_DIR/telegram-stream.log, reports to Wave
 * over PM2's bus and takes commands from it (see src/contracts/daemon-messages.ts).
 */
const STOP_DEADLINE_MS = 8000;

function report(message: DaemonMessage): void {
  if (process.send && process.connected) process.send({ type: DAEMON_MESSAGE_TYPE, data: message });
}

async function main(): Promise<void> {
  loadDotenv({ quiet: true });
  const waveEnv = validateEnvironment(process.env);
  const logger = createWaveLogger({
    logDir: waveEnv.LOG_DIR,
    level: waveEnv.LOG_LEVEL,
    production: waveEnv.NODE_ENV === 'production',
    file: 'telegram-stream.log',
    appName: 'TelegramStream',
  });
  const dataDir = waveEnv.DATA_DIR;
  const exit = async (code: number) => {
    await flushLogger(logger);
    process.exit(code);
  };

  // Outside Nest: the daemon's own instances of the repositories Wave injects.
  const storage = new StorageRepository();
  let daemon: TelegramStreamDaemon;
  try {
    const config = await readTelegramConfig(dataDir, storage);
    registerSecret(config.streamKey);
    daemon = new TelegramStreamDaemon({
      config,
      env: daemonEnvironment(process.env),
      processes: new ProcessRepository(),
      storage,
      logger,
      report,
      loadTracks: () => readPlaylist(dataDir, storage),
      loadDestinations: () => readDestinations(dataDir, storage),
      tracksDir: tracksDir(dataDir),
      coverImage: coverImagePath(dataDir, config.coverImage),
      cacheDir: join(dataDir, 'cache'),
      onFinished: (reason) => void shutdown(reason, 0),
    });
    await daemon.start();
  } catch (error) {
    const message = (error as Error).message;
    logger.error(`cannot start: ${message}`);
    report({ event: 'error', code: 'daemon_setup', message, at: new Date().toISOString() });
    return exit(1);
  }

  let stopping = false;
  async function shutdown(reason: string, code: number): Promise<void> {
    if (stopping) return;
    stopping = true;
    setTimeout(() => process.exit(code || 1), STOP_DEADLINE_MS).unref();
    await daemon.stop(reason);
    await exit(code);
  }
  process.once('SIGINT', () => void shutdown('SIGINT', 0));
  process.once('SIGTERM', () => void shutdown('SIGTERM', 0));
  // Under PM2 the IPC channel is PM2's daemon: when it dies, nobody supervises this stream any more (the next
  // PM2 would start a second one on the same key). PM2's metrics agent would exit(1) at its next send; this
  // stops cleanly, logged, whether or not that agent runs (PM2's `pmx: false`).
  process.once('disconnect', () => void shutdown('PM2 went away (its IPC channel closed)', 0));
  process.on('message', (packet) => {
    const command = commandFromPacket(packet);
    if (command) daemon.handleCommand(command);
  });
}

void main();
