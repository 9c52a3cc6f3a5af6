import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { config as loadDotenv } from 'dotenv';
import { AppConfig } from './config/app-config.js';
import { prepareDirectories } from './config/directories.js';
import { InvalidEnvironmentError, validateEnvironment } from './config/env.validation.js';
import { AccessLog } from './common/access-log.js';
import { createWaveLogger, flushLogger } from './common/logger.js';
import { registerSecret } from './common/redaction.js';
import { StartupError } from './common/startup-error.js';

/** SIGTERM/SIGINT must end the process within this time even if something hangs. */
const SHUTDOWN_DEADLINE_MS = 10_000;

async function bootstrap(): Promise<void> {
  loadDotenv({ quiet: true });
  // PM2's cluster mode hands one port to all its workers: a follower could never reach the instance that leads.
  if (process.env.exec_mode === 'cluster_mode') {
    process.stderr.write(
      'Wave cannot start: PM2\'s cluster mode shares one PORT between instances, so they cannot forward to the one that leads; run several fork-mode instances, each with its own PORT and SOCKET_PORT (README, "Several instances")\n',
    );
    process.exit(1);
  }
  let config: AppConfig;
  try {
    config = new AppConfig(validateEnvironment(process.env));
    prepareDirectories(config, process.env);
  } catch (error) {
    if (!(error instanceof InvalidEnvironmentError)) throw error;
    process.stderr.write(`Wave cannot start, invalid environment: ${error.message.replace(/\n/g, '; ')}\n`);
    process.exit(1);
  }
  registerSecret(config.apiToken);
  const winston = createWaveLogger({ logDir: config.logDir, level: config.logLevel, production: config.isProduction });
  // Imported only now: importing pm2 makes PM2_HOME's folders at once, printing a stack trace per folder when
  // PM2_HOME is a file, before prepareDirectories could say so in one line.
  const { createWaveApp } = await import('./app.factory.js');
  const accessLog = new AccessLog({
    logDir: config.logDir,
    console: config.nodeEnv === 'development',
    onError: (error) => winston.warn({ message: `access.log cannot be written: ${error.message}`, context: 'HTTP' }),
  });
  const app = await createWaveApp(config, winston, accessLog);
  const logger = new Logger('Wave');

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.log(`${signal} received: closing HTTP and sockets (the RTMP container and the Telegram daemon keep running)`);
    setTimeout(() => process.exit(1), SHUTDOWN_DEADLINE_MS).unref();
    try {
      await app.close();
    } catch (error) {
      logger.error({ message: 'error while closing', error });
    }
    await Promise.all([flushLogger(winston), accessLog.close()]);
    process.exit(0);
  };
  // `on`, not `once`: Ctrl-C under `npm start` delivers SIGINT twice (the terminal's, and npm's forwarded copy);
  // a second signal without a listener would kill Wave mid-close. The deadline above bounds a hung close.
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  await app.listen({ port: config.port, host: config.host });
  if (config.isProduction && !config.apiToken) {
    logger.warn('WAVE_API_TOKEN is not set: anyone who can reach this port can change the station. Set it in production.');
  }
  logger.log(`Wave listening on http://${config.host}:${config.port} (API docs at /api/docs)`);
}

bootstrap().catch((error: NodeJS.ErrnoException & { address?: string; port?: number }) => {
  // A port someone else holds, or a data file that cannot be used, is an operator's everyday mistake: say it in
  // one line, not a stack trace.
  if (error instanceof StartupError) {
    process.stderr.write(`Wave cannot start: ${error.message}\n`);
  } else if (error.code === 'EADDRINUSE' || error.code === 'EACCES') {
    const what = error.code === 'EADDRINUSE' ? 'is already in use' : 'needs privileges this user lacks';
    process.stderr.write(`Wave cannot start: ${error.address ?? ''}:${error.port ?? ''} ${what} (set PORT / SOCKET_PORT / HOST)\n`);
  } else {
    process.stderr.write(`Wave cannot start: ${error.stack ?? String(error)}\n`);
  }
  process.exit(1);
});
