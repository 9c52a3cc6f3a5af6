import { afterEach, describe, expect, it } from 'vitest';
import { newTestService, type TestService } from '../../test/factory.js';
import { LeaderRepository } from '../repositories/leader.repository.js';
import { defaultAdvertiseUrl, LeadershipService } from './leadership.service.js';

describe('LeadershipService', () => {
  let ctx: TestService<LeadershipService>;
  afterEach(() => ctx?.close());

  it('leads from boot when the lock is free, and says so in the database', async () => {
    ctx = await newTestService(LeadershipService, { env: { WAVE_ADVERTISE_URL: 'http://10.0.0.5:6970/' } });
    const leadership = ctx.sut;
    expect(leadership.isLeader).toBe(true);
    expect(leadership.leader).toMatchObject({ instanceId: leadership.instanceId, url: 'http://10.0.0.5:6970' });
    expect(await ctx.get(LeaderRepository).current()).toMatchObject({ instanceId: leadership.instanceId, url: 'http://10.0.0.5:6970' });
    // The bus heard it at boot, before the spec listened; a lead already held is not announced again.
    await leadership.elect();
    expect(ctx.events.filter(([name]) => name === 'leadership.changed')).toEqual([]);
  });

  it('starts a role at once when it leads, stops it when the lock is lost, and starts it again when it leads again', async () => {
    ctx = await newTestService(LeadershipService);
    const leadership = ctx.sut;
    const steps: string[] = [];
    await leadership.whileLeading(
      'a role',
      (takenOver) => void steps.push(takenOver ? 'start (taken over)' : 'start'),
      () => void steps.push('stop'),
    );
    expect(steps).toEqual(['start']);

    ctx.fakes.leaderLock.lose();
    await leadership.elect();
    expect(leadership.isLeader).toBe(false);
    expect(steps).toEqual(['start', 'stop']);
    expect(ctx.events).toContainEqual(['leadership.changed', expect.objectContaining({ leader: false, leaderId: null })]);

    await leadership.elect();
    expect(steps).toEqual(['start', 'stop']);

    ctx.fakes.leaderLock.heldElsewhere = false;
    await leadership.elect();
    expect(leadership.isLeader).toBe(true);
    expect(steps).toEqual(['start', 'stop', 'start (taken over)']);
  });

  it('follows the instance another holds the lock for: its announcement is what it forwards to', async () => {
    ctx = await newTestService(LeadershipService);
    ctx.fakes.leaderLock.lose();
    await ctx.sut.elect();
    const other = { instanceId: 'other-1', url: 'http://127.0.0.1:7000', since: new Date().toISOString() };
    await ctx.get(LeaderRepository).announce(other);
    const roles: string[] = [];
    await ctx.sut.whileLeading(
      'a role',
      () => void roles.push('start'),
      () => void roles.push('stop'),
    );
    await ctx.sut.elect();
    expect(ctx.sut.isLeader).toBe(false);
    expect(ctx.sut.leader).toEqual(other);
    expect(roles).toEqual([]);
  });

  it('a role that fails to start is logged; the others start and the instance still leads', async () => {
    ctx = await newTestService(LeadershipService);
    const started: string[] = [];
    await ctx.sut.whileLeading(
      'broken',
      () => Promise.reject(new Error('boom')),
      () => undefined,
    );
    await ctx.sut.whileLeading(
      'fine',
      () => void started.push('fine'),
      () => undefined,
    );
    expect(started).toEqual(['fine']);
    expect(ctx.sut.isLeader).toBe(true);
  });

  it('an election that cannot run (the lock errs) leaves a follower a follower', async () => {
    ctx = await newTestService(LeadershipService);
    ctx.fakes.leaderLock.lose();
    await ctx.sut.elect();
    ctx.fakes.leaderLock.heldElsewhere = false;
    ctx.fakes.leaderLock.failing = new Error('connection refused');
    await ctx.sut.elect();
    expect(ctx.sut.isLeader).toBe(false);
  });

  it('lets the lock go at shutdown', async () => {
    ctx = await newTestService(LeadershipService);
    expect(ctx.fakes.leaderLock.holds).toBe(true);
    await ctx.module.close();
    expect(ctx.fakes.leaderLock.holds).toBe(false);
  });

  it.each([
    ['127.0.0.1', false, 'http://127.0.0.1:6970'],
    ['127.0.0.1', true, 'http://127.0.0.1:6970'],
    ['10.1.2.3', true, 'http://10.1.2.3:6970'],
    ['::1', false, 'http://[::1]:6970'],
    ['0.0.0.0', false, 'http://127.0.0.1:6970'],
    ['0.0.0.0', true, expect.stringMatching(/^http:\/\/(\d+\.){3}\d+:6970$/)],
  ])('advertises itself by default (HOST %s, in a container: %s) at %s', (host, inContainer, expected) => {
    expect(defaultAdvertiseUrl(host, 6970, inContainer)).toEqual(expected);
  });
});
