// Wave as main.ts builds it (createWaveApp from dist/, production settings from the environment), plus one
// bare Fastify route on the same Fastify instance: that route gets the same production middleware (helmet,
// request ids, the per-request log line, metrics) but none of Nest's pipeline nor Wave's handlers.
import 'reflect-metadata';
import { createWaveApp } from '../../dist/app.factory.js';
import { AccessLog } from '../../dist/common/access-log.js';
import { createWaveLogger, flushLogger } from '../../dist/common/logger.js';
import { AppConfig } from '../../dist/config/app-config.js';
import { validateEnvironment } from '../../dist/config/env.validation.js';

const config = new AppConfig(validateEnvironment(process.env));
const winston = createWaveLogger({ logDir: config.logDir, level: config.logLevel, production: config.isProduction });
const accessLog = new AccessLog({ logDir: config.logDir, console: false });
const app = await createWaveApp(config, winston, accessLog);
const body = {
  rtmp: { state: 'stopped', publishers: 0, port: null, detail: null },
  telegram: { state: 'stopped', connection: 'stopped', source: null, reconnects: 0, detail: null },
  nowPlaying: null,
  listeners: { public: 0, admin: 0 },
};
app
  .getHttpAdapter()
  .getInstance()
  .get('/bench/bare-status', async () => ({ ...body, updatedAt: new Date().toISOString() }));
await app.listen({ port: config.port, host: config.host });

process.on('message', (message) => {
  if (message === 'stop')
    void app
      .close()
      .then(() => Promise.all([flushLogger(winston), accessLog.close()]))
      .then(() => process.exit(0));
});
process.send('ready');
