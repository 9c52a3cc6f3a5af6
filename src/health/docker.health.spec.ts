import { HealthIndicatorService } from '@nestjs/terminus';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newTestService, type TestService } from '../../test/factory.js';
import type { FakeDockerRepository } from '../../test/fakes/docker.repository.fake.js';
import { DockerHealthIndicator } from './docker.health.js';

describe('DockerHealthIndicator (fake engine)', () => {
  let ctx: TestService<DockerHealthIndicator>;
  let docker: FakeDockerRepository;

  beforeEach(async () => {
    ctx = await newTestService(DockerHealthIndicator, { providers: [HealthIndicatorService] });
    docker = ctx.fakes.docker;
  });
  afterEach(() => ctx.close());

  it("is up with the engine's version while it answers", async () => {
    expect(await ctx.sut.isReachable()).toEqual({ docker: { status: 'up', version: '26.1.5' } });
  });

  it('is down, docker_unavailable, with the reason: an engine not there, or one that did not answer within its bound', async () => {
    docker.unreachable = true;
    expect(await ctx.sut.isReachable()).toEqual({
      docker: { status: 'down', code: 'docker_unavailable', message: 'Docker engine is unreachable at the fake engine: connect ENOENT' },
    });
    docker.unreachable = false;
    docker.hangMs = 50;
    expect(await ctx.sut.isReachable()).toEqual({
      docker: {
        status: 'down',
        code: 'docker_unavailable',
        message: 'Docker engine at the fake engine did not answer within 0.05 s (ping)',
      },
    });
  });
});
