import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AppConfig } from '../config/app-config.js';
import type { Pm2AppDefinition } from '../repositories/pm2.repository.js';

/** The PM2 apps file at the project root (next to dist/ and src/); the npm scripts use it too. */
export const ECOSYSTEM_FILE = resolve(import.meta.dirname, '../../ecosystem.config.js');

interface Ecosystem {
  telegramStreamApp(paths: { dataDir: string; logDir: string; nodeEnv: string }): Pm2AppDefinition;
}

/** The `telegram-stream` app as ecosystem.config.js defines it, pointed at this Wave's DATA_DIR and LOG_DIR. */
export async function telegramDaemonApp(config: AppConfig): Promise<Pm2AppDefinition> {
  const ecosystem = (await import(pathToFileURL(ECOSYSTEM_FILE).href)) as Ecosystem;
  return ecosystem.telegramStreamApp({ dataDir: config.dataDir, logDir: config.logDir, nodeEnv: config.nodeEnv });
}
