import { describe, expect, it } from 'vitest';
import { InvalidEnvironmentError, validateEnvironment } from './env.validation.js';

describe('validateEnvironment', () => {
  it('applies the seed defaults', () => {
    const env = validateEnvironment({});
    expect(env.PORT).toBe(6970);
    expect(env.SOCKET_PORT).toBe(6971);
    expect(env.DATA_DIR).toBe('./data');
    expect(env.LOG_DIR).toBe('./logs');
    expect(env.NODE_ENV).toBe('development');
    expect(env.HOST).toBe('127.0.0.1');
    expect(env.WAVE_API_TOKEN).toBeUndefined();
    expect(env.WAVE_PROTECT_READS).toBe(false);
  });

  it('converts numbers and booleans from strings', () => {
    const env = validateEnvironment({ PORT: '8080', WAVE_PROTECT_READS: 'true', WAVE_RATE_LIMIT: '0' });
    expect(env.PORT).toBe(8080);
    expect(env.WAVE_PROTECT_READS).toBe(true);
    expect(env.WAVE_RATE_LIMIT).toBe(0);
  });

  it('names the variable and the value when one is bad', () => {
    expect(() => validateEnvironment({ PORT: '70000' })).toThrow(/^PORT: .*65535.*\(got "70000"\)$/);
    expect(() => validateEnvironment({ NODE_ENV: 'staging' })).toThrow(InvalidEnvironmentError);
    expect(() => validateEnvironment({ SOCKET_PORT: 'abc' })).toThrow(/SOCKET_PORT/);
  });

  it('refuses the same port for HTTP and Socket.IO', () => {
    expect(() => validateEnvironment({ PORT: '7000', SOCKET_PORT: '7000' })).toThrow(
      /^SOCKET_PORT: must differ from PORT \(both are 7000\)$/,
    );
  });

  it('never echoes a rejected token', () => {
    let message = '';
    try {
      validateEnvironment({ WAVE_API_TOKEN: 'short-secret' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/WAVE_API_TOKEN/);
    expect(message).not.toContain('short-secret');
  });

  it('ignores variables it does not know', () => {
    expect(() => validateEnvironment({ PATH: '/usr/bin', HOME: '/root' })).not.toThrow();
  });

  it.each(['127.0.0.1', '10.0.0.0/8, ::1', 'loopback,uniquelocal', 'fd00::/8'])('takes WAVE_TRUST_PROXY %j', (value) => {
    expect(validateEnvironment({ WAVE_TRUST_PROXY: value }).WAVE_TRUST_PROXY).toBe(value);
  });

  it.each(['proxy.lan', '10.0.0.0/33', '10.0.0.1/8/1', '*'])('refuses WAVE_TRUST_PROXY %j, naming the entry', (value) => {
    expect(() => validateEnvironment({ WAVE_TRUST_PROXY: value })).toThrow(/^WAVE_TRUST_PROXY: .* is not an IP address/);
  });

  it('takes WAVE_ADVERTISE_URL as an origin only', () => {
    expect(validateEnvironment({ WAVE_ADVERTISE_URL: 'http://10.0.0.5:6970' }).WAVE_ADVERTISE_URL).toBe('http://10.0.0.5:6970');
    expect(() => validateEnvironment({ WAVE_ADVERTISE_URL: 'http://10.0.0.5:6970/api' })).toThrow(/^WAVE_ADVERTISE_URL: /);
    expect(() => validateEnvironment({ WAVE_ADVERTISE_URL: 'ftp://10.0.0.5' })).toThrow(/^WAVE_ADVERTISE_URL: /);
  });
});
