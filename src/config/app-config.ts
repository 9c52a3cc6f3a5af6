import { Injectable } from '@nestjs/common';
import { resolve } from 'node:path';
import { OutboundPolicy } from '../common/outbound-policy.js';
import { EnvironmentVariables } from './env.validation.js';

/** Wave's validated settings, read once at boot. Inject this instead of reading process.env. */
@Injectable()
export class AppConfig {
  readonly port: number;
  readonly socketPort: number;
  readonly host: string;
  readonly nodeEnv: EnvironmentVariables['NODE_ENV'];
  readonly dataDir: string;
  readonly logDir: string;
  readonly logLevel: EnvironmentVariables['LOG_LEVEL'];
  readonly apiToken?: string;
  readonly protectReads: boolean;
  readonly corsOrigins: string[];
  readonly rateLimitPerMinute: number;
  readonly authFailureLimit: number;
  readonly dockerHost?: string;
  readonly rtmpCallbackHost?: string;
  readonly rtmpCallbackPort: number;
  readonly redisUrl?: string;
  /** PostgreSQL for the library (DATABASE_URL); unset: SQLite in DATA_DIR. */
  readonly databaseUrl?: string;
  readonly trackUploadMaxBytes: number;
  /** Which private hosts configured stream URLs may point at (WAVE_OUTBOUND_ALLOW). */
  readonly outbound: OutboundPolicy;
  /** Reverse proxies and instances whose X-Forwarded-For is believed (WAVE_TRUST_PROXY); empty: none. */
  readonly trustedProxies: string[];
  /** Where other instances reach this one's API (WAVE_ADVERTISE_URL); unset: worked out at boot (LeadershipService). */
  readonly advertiseUrl?: string;

  constructor(env: EnvironmentVariables) {
    this.port = env.PORT;
    this.socketPort = env.SOCKET_PORT;
    this.host = env.HOST;
    this.nodeEnv = env.NODE_ENV;
    this.dataDir = resolve(env.DATA_DIR);
    this.logDir = resolve(env.LOG_DIR);
    this.logLevel = env.LOG_LEVEL;
    this.apiToken = env.WAVE_API_TOKEN;
    this.protectReads = env.WAVE_PROTECT_READS;
    this.corsOrigins = env.CORS_ORIGINS.split(',')
      .map((o) => o.trim())
      .filter(Boolean);
    this.rateLimitPerMinute = env.WAVE_RATE_LIMIT;
    this.authFailureLimit = env.WAVE_AUTH_FAILURE_LIMIT;
    this.dockerHost = env.DOCKER_HOST;
    this.rtmpCallbackHost = env.RTMP_CALLBACK_HOST;
    this.rtmpCallbackPort = env.RTMP_CALLBACK_PORT;
    this.redisUrl = env.REDIS_URL;
    this.databaseUrl = env.DATABASE_URL;
    this.trackUploadMaxBytes = env.TRACK_UPLOAD_MAX_MB * 1024 * 1024;
    this.outbound = OutboundPolicy.parse(env.WAVE_OUTBOUND_ALLOW);
    this.trustedProxies = env.WAVE_TRUST_PROXY.split(',')
      .map((e) => e.trim())
      .filter(Boolean);
    this.advertiseUrl = env.WAVE_ADVERTISE_URL?.replace(/\/$/, '');
  }

  get isProduction(): boolean {
    return this.nodeEnv === 'production';
  }
}
