import 'reflect-metadata';
import { DynamicModule, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { config as loadDotenv } from 'dotenv';
import { AppConfig } from '../config/app-config.js';
import { ConfigModule } from '../config/config.module.js';
import { DocumentsModule } from '../documents/documents.module.js';
import { InvalidEnvironmentError, validateEnvironment } from '../config/env.validation.js';
import { BusModule } from '../bus/bus.module.js';
import { RepositoriesModule } from '../repositories/repositories.module.js';
import { callbackBaseUrl, RtmpCallbackServer } from './rtmp-callback.server.js';
import { RTMP_CORE_PROVIDERS } from './rtmp.module.js';
import { RtmpService } from './rtmp.service.js';

const COMMANDS = ['start', 'stop', 'restart', 'status'] as const;
type Command = (typeof COMMANDS)[number];

/**
 * The RTMP service without HTTP: publish callbacks are answered by the Wave server (same
 * RTMP_CALLBACK_PORT), which checks them against the container's label, so the CLI only names the URL.
 */
@Module({})
class RtmpCliModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: RtmpCliModule,
      imports: [ConfigModule.forRoot(config), DocumentsModule.forRoot(), BusModule, RepositoriesModule],
      providers: [
        ...RTMP_CORE_PROVIDERS.filter((p) => p !== RtmpCallbackServer),
        { provide: RtmpCallbackServer, useValue: { ensureListening: () => Promise.resolve(callbackBaseUrl(config.rtmpCallbackPort)) } },
      ],
    };
  }
}

/** `npm run rtmp [start|stop|restart|status]`: drives the ingest through the same RtmpService as the API. */
async function main(): Promise<void> {
  loadDotenv({ quiet: true });
  const command = (process.argv[2] ?? 'start') as Command;
  if (!COMMANDS.includes(command)) {
    process.stderr.write(`usage: npm run rtmp -- [${COMMANDS.join('|')}]\n`);
    process.exit(2);
  }
  let config: AppConfig;
  try {
    config = new AppConfig(validateEnvironment(process.env));
  } catch (error) {
    if (!(error instanceof InvalidEnvironmentError)) throw error;
    process.stderr.write(`invalid environment: ${error.message.replace(/\n/g, '; ')}\n`);
    process.exit(1);
  }
  // stdout carries the status JSON only; Nest's warnings and errors go to stderr.
  const app = await NestFactory.createApplicationContext(RtmpCliModule.forRoot(config), { logger: ['warn', 'error'] });
  try {
    const rtmp = app.get(RtmpService);
    const status = await rtmp[command]();
    process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
    if (command !== 'stop' && status.state === 'running') {
      process.stderr.write(`DJs publish to ${status.publishUrl}/<stream key>; the Wave server answers the publish callbacks\n`);
    }
  } catch (error) {
    const response = (error as { getResponse?: () => { message?: string[] } }).getResponse?.();
    process.stderr.write(`rtmp ${command} failed: ${response?.message?.join('; ') ?? (error as Error).message}\n`);
    process.exitCode = 1;
  } finally {
    await app.close();
  }
}

void main();
