import 'reflect-metadata';
import { isIP } from 'node:net';
import { plainToInstance, Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, MinLength, ValidateBy, validateSync } from 'class-validator';
import { InvalidOutboundAllowanceError, OutboundPolicy } from '../common/outbound-policy.js';

const toInt = ({ value }: { value: unknown }) => (typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value);
const toBool = ({ value }: { value: unknown }) => {
  if (typeof value !== 'string') return value;
  const v = value.trim().toLowerCase();
  return ['true', '1', 'yes'].includes(v) ? true : ['false', '0', 'no', ''].includes(v) ? false : value;
};
const emptyToUndefined = ({ value }: { value: unknown }) => (value === '' ? undefined : value);

/** Each entry an address, a network (CIDR) or a host name: OutboundPolicy.parse says which entry is wrong. */
function IsOutboundAllowance(): PropertyDecorator {
  const problem = (value: unknown) => {
    if (typeof value !== 'string') return 'must be a comma-separated list';
    try {
      OutboundPolicy.parse(value);
      return null;
    } catch (error) {
      if (error instanceof InvalidOutboundAllowanceError) return error.message;
      throw error;
    }
  };
  return ValidateBy({
    name: 'isOutboundAllowance',
    validator: { validate: (value: unknown) => problem(value) === null, defaultMessage: (args) => problem(args?.value) ?? '' },
  });
}

/** proxy-addr's names for address ranges, which Fastify's trustProxy takes beside addresses and networks. */
const TRUSTED_RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** Each entry an IP address, a network (address/prefix) or one of TRUSTED_RANGE_NAMES. */
export function trustedProxyProblem(value: unknown): string | null {
  if (typeof value !== 'string') return 'must be a comma-separated list';
  for (const entry of value
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    if (TRUSTED_RANGE_NAMES.has(entry)) continue;
    const [address, prefix, extra] = entry.split('/');
    const family = isIP(address);
    const bits = family === 4 ? 32 : 128;
    const prefixOk = prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= bits);
    if (!family || !prefixOk || extra !== undefined)
      return `${JSON.stringify(entry)} is not an IP address, a network such as 10.0.0.0/8, or one of loopback, linklocal, uniquelocal`;
  }
  return null;
}

function IsTrustedProxyList(): PropertyDecorator {
  return ValidateBy({
    name: 'isTrustedProxyList',
    validator: {
      validate: (value: unknown) => trustedProxyProblem(value) === null,
      defaultMessage: (args) => trustedProxyProblem(args?.value) ?? '',
    },
  });
}

/** The process environment Wave accepts; validated once at boot (see validateEnvironment below). */
export class EnvironmentVariables {
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(65535)
  PORT = 6970;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(65535)
  SOCKET_PORT = 6971;

  @IsString()
  @MinLength(1)
  HOST = '127.0.0.1';

  @IsIn(['development', 'production', 'test'])
  NODE_ENV: 'development' | 'production' | 'test' = 'development';

  @IsString()
  @MinLength(1)
  DATA_DIR = './data';

  @IsString()
  @MinLength(1)
  LOG_DIR = './logs';

  @IsIn(['error', 'warn', 'info', 'debug', 'verbose'])
  LOG_LEVEL: 'error' | 'warn' | 'info' | 'debug' | 'verbose' = 'info';

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  @MinLength(16, { message: 'WAVE_API_TOKEN must be at least 16 characters long' })
  WAVE_API_TOKEN?: string;

  @Transform(toBool)
  @IsBoolean()
  WAVE_PROTECT_READS = false;

  /**
   * Reverse proxies (and the other Wave instances, which forward to the leader) whose `X-Forwarded-For` tells the
   * client's address, for rate limits and logs: addresses, networks, `loopback`, `linklocal`, `uniquelocal`. Empty: none.
   */
  @IsTrustedProxyList()
  WAVE_TRUST_PROXY = '';

  /** Comma-separated origins allowed by CORS; empty sends no CORS headers; `*` allows any. */
  @IsString()
  CORS_ORIGINS = '';

  /** Mutating requests per minute per client address; 0 turns the limit off. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  WAVE_RATE_LIMIT = 300;

  /** Requests with a wrong token per minute per client address before it is refused (429) for a minute; 0 turns it off. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  WAVE_AUTH_FAILURE_LIMIT = 10;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  DOCKER_HOST?: string;

  /** Address of the listener for nginx-rtmp's publish callbacks; unset = the Docker bridge gateway (else 127.0.0.1). */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  @MinLength(1)
  RTMP_CALLBACK_HOST?: string;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(65535)
  RTMP_CALLBACK_PORT = 6972;

  /**
   * Where the other Wave instances reach this one's API (they forward station commands to the leader there), e.g.
   * `http://10.0.0.5:6970`. Unset: `http://HOST:PORT`; with HOST 0.0.0.0, the container's own address inside a
   * container, else `http://127.0.0.1:PORT` (instances on one host).
   */
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^https?:\/\/[^\s/?#]+\/?$/, {
    message: 'WAVE_ADVERTISE_URL must be an http:// or https:// origin, such as http://10.0.0.5:6970',
  })
  WAVE_ADVERTISE_URL?: string;

  /** `redis://[user:password@]host:port`: Socket.IO broadcasts reach the clients of every Wave instance. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^rediss?:\/\/\S+$/, { message: 'REDIS_URL must be a redis:// or rediss:// URL' })
  REDIS_URL?: string;

  /**
   * `postgres://[user:password@]host[:port]/database`: the library and the programme live in this PostgreSQL
   * database (for several Wave instances). Unset: an embedded SQLite file, `DATA_DIR/wave.db`.
   */
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^postgres(?:ql)?:\/\/\S+$/, { message: 'DATABASE_URL must be a postgres:// or postgresql:// URL' })
  DATABASE_URL?: string;

  /**
   * Private, loopback and link-local hosts or networks the Telegram stream may reach for its configured URLs
   * (radio, relay, Telegram server), e.g. a local Icecast: `127.0.0.1,10.0.0.0/8,icecast.lan`. Empty: public
   * addresses only.
   */
  @IsOutboundAllowance()
  WAVE_OUTBOUND_ALLOW = '';

  /** Largest track file accepted by POST /api/tracks/upload, in MiB. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(4096)
  TRACK_UPLOAD_MAX_MB = 300;
}

export class InvalidEnvironmentError extends Error {}

/** Validates `env`; throws InvalidEnvironmentError whose message is one line per bad variable. */
export function validateEnvironment(env: Record<string, string | undefined>): EnvironmentVariables {
  // Optional variables have no initializer, so they are not own keys of a fresh instance.
  const known = [
    ...Object.keys(new EnvironmentVariables()),
    'WAVE_API_TOKEN',
    'DOCKER_HOST',
    'REDIS_URL',
    'DATABASE_URL',
    'RTMP_CALLBACK_HOST',
    'WAVE_ADVERTISE_URL',
  ];
  const given = Object.fromEntries(Object.entries(env).filter(([k, v]) => v !== undefined && known.includes(k)));
  const parsed = plainToInstance(EnvironmentVariables, given, { exposeDefaultValues: true });
  const errors = validateSync(parsed, { whitelist: true, forbidUnknownValues: false });
  const lines = errors.map((e) => {
    const reasons = Object.values(e.constraints ?? {}).join('; ');
    const shown = ['WAVE_API_TOKEN', 'REDIS_URL', 'DATABASE_URL'].includes(e.property) ? '(hidden)' : JSON.stringify(env[e.property]);
    return `${e.property}: ${reasons} (got ${shown})`;
  });
  // Both listen on HOST, so the same port could never work.
  if (errors.length === 0 && parsed.SOCKET_PORT === parsed.PORT) lines.push(`SOCKET_PORT: must differ from PORT (both are ${parsed.PORT})`);
  if (lines.length > 0) throw new InvalidEnvironmentError(lines.join('\n'));
  return parsed;
}
