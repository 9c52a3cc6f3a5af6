import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { utilities as nestWinstonUtilities } from 'nest-winston';
import { createLogger, format, Logger, transports } from 'winston';
import { redactionFormat } from './redaction.js';

export interface WaveLoggerOptions {
  logDir: string;
  level: string;
  production: boolean;
  /** File name in logDir; the daemon uses its own. */
  file?: string;
  /** Name shown in pretty console lines. */
  appName?: string;
}

const LOG_FILE_MAX_BYTES = 10 * 1024 * 1024;
const LOG_FILES_KEPT = 5;

/**
 * nest-winston wraps Nest's trace argument as `stack: [trace]`, which is `[undefined]` (`[null]` in JSON)
 * when Logger.error gets no trace. An entry keeps one stack string, or none.
 */
const stackFormat = format((info) => {
  const stacks = (Array.isArray(info.stack) ? info.stack : [info.stack]).filter((s): s is string => typeof s === 'string' && s !== '');
  if (stacks.length > 0) info.stack = stacks.join('\n');
  else delete info.stack;
  return info;
});

/**
 * Wave's winston logger: secrets scrubbed from every entry, JSON lines in `LOG_DIR/<file>` (rotated by
 * size, the current file keeping its name), and the console pretty in development, JSON in production.
 */
export function createWaveLogger(options: WaveLoggerOptions): Logger {
  mkdirSync(options.logDir, { recursive: true });
  const base = format.combine(format.timestamp(), format.errors({ stack: true }), stackFormat(), redactionFormat());
  return createLogger({
    level: options.level,
    format: base,
    transports: [
      new transports.Console({
        format: options.production
          ? format.json()
          : format.combine(
              format.ms(),
              nestWinstonUtilities.format.nestLike(options.appName ?? 'Wave', {
                colors: Boolean(process.stdout.isTTY),
                prettyPrint: false,
              }),
            ),
      }),
      new transports.File({
        filename: join(options.logDir, options.file ?? 'wave.log'),
        format: format.json(),
        maxsize: LOG_FILE_MAX_BYTES,
        maxFiles: LOG_FILES_KEPT,
        tailable: true,
      }),
    ],
  });
}

/** Resolves once every transport has written what it was given (call before exit). */
export function flushLogger(logger: Logger, timeoutMs = 3000): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    logger.on('finish', () => {
      clearTimeout(timer);
      resolve();
    });
    logger.end();
  });
}
