import { BadRequestException, ServiceUnavailableException } from '@nestjs/common';
import type { HealthCheckResult } from '@nestjs/terminus';
import { describe, expect, it } from 'vitest';
import { WaveError } from '../common/wave-error.js';
import { toHealthCheckFailure, withDownCode } from './health-check-failure.js';

const docker = { status: 'down' as const, code: 'docker_unavailable', message: 'Docker engine is unreachable at unix:///x.sock' };
const disk = { status: 'down' as const, code: 'disk_full', message: 'Used disk storage exceeded the set threshold' };

describe('toHealthCheckFailure', () => {
  it("turns terminus' 503 into a WaveError: one message per failing indicator, the result as details", () => {
    const result: HealthCheckResult = {
      status: 'error',
      info: { dataDir: { status: 'up' } },
      error: { docker, disk },
      details: { dataDir: { status: 'up' }, docker, disk },
    };
    const failure = toHealthCheckFailure(new ServiceUnavailableException(result)) as WaveError;
    expect(failure).toBeInstanceOf(WaveError);
    expect(failure.getStatus()).toBe(503);
    expect(failure.getResponse()).toEqual({
      code: 'health_check_failed',
      message: ['docker: Docker engine is unreachable at unix:///x.sock', 'disk: Used disk storage exceeded the set threshold'],
      details: result,
    });
  });

  it('says shutting_down while Wave stops', () => {
    const result: HealthCheckResult = {
      status: 'shutting_down',
      info: { heap: { status: 'up' } },
      error: {},
      details: { heap: { status: 'up' } },
    };
    expect((toHealthCheckFailure(new ServiceUnavailableException(result)) as WaveError).getResponse()).toEqual({
      code: 'shutting_down',
      message: ['Wave is shutting down'],
      details: result,
    });
  });

  it('leaves any other error as it is', () => {
    const plain = new Error('df failed');
    expect(toHealthCheckFailure(plain)).toBe(plain);
    const other = new ServiceUnavailableException('no');
    expect(toHealthCheckFailure(other)).toBe(other);
    const bad = new BadRequestException();
    expect(toHealthCheckFailure(bad)).toBe(bad);
  });
});

describe('withDownCode', () => {
  it('gives a down state without a code the given one, and leaves up states and own codes alone', async () => {
    expect(await withDownCode(Promise.resolve({ disk: { status: 'down', message: 'full' } }), 'disk_full')).toEqual({
      disk: { status: 'down', message: 'full', code: 'disk_full' },
    });
    expect(await withDownCode(Promise.resolve({ disk: { status: 'up' } }), 'disk_full')).toEqual({ disk: { status: 'up' } });
    expect(await withDownCode(Promise.resolve({ docker }), 'other')).toEqual({ docker });
  });
});
