import { describe, expect, it } from 'vitest';
import { forwardedFor, forwardedToLeader } from './leader-forwarding.js';

describe('forwardedToLeader: what a follower hands to the leader', () => {
  it.each([
    ['POST', '/api/tracks', true, 'a change to the library'],
    ['PUT', '/api/streaming/config', true, 'a change to a config document'],
    ['DELETE', '/api/playlists/p1', true, 'a change to the programme'],
    ['POST', '/api/stream/telegram/start', true, 'a daemon command'],
    ['POST', '/api/stream/live/take', true, 'a take-over'],
    ['POST', '/api/stream/rtmp/restart', true, 'a container command'],
    ['POST', '/api/tracks/upload', true, 'an upload (the body streams through)'],
    ['GET', '/api/streaming/status', true, "the station's live state"],
    ['GET', '/api/stream/telegram/status', true, "the daemon's reports"],
    ['GET', '/api/stream/destinations', true, 'connections as the daemon reports them'],
    ['GET', '/api/tracks/now-playing', true, 'now playing'],
    ['GET', '/api/tracks/scan/job-1', true, 'a scan job the leader runs'],
    ['GET', '/api/tracks/analysis', true, 'the analysis the leader runs'],
    ['GET', '/api/monitoring/services', true, 'monitoring'],
    ['GET', '/api/tracks?limit=10', false, 'the library, from the shared database'],
    ['GET', '/api/tracks/t1', false, 'one track'],
    ['GET', '/api/history', false, 'play history'],
    ['GET', '/api/playlists', false, 'playlists'],
    ['GET', '/api/webhooks', false, 'webhooks'],
    ['GET', '/api/streamingx', false, 'not a station prefix, only alike'],
    ['GET', '/health', false, "each instance's own health"],
    ['GET', '/health/live', false, "each instance's own liveness"],
    ['GET', '/metrics', false, "each instance's own metrics"],
    ['GET', '/api/docs-json', false, 'the API document'],
    ['POST', '/rtmp/on_publish', false, 'not the API'],
  ])('%s %s → %s (%s)', (method, url, expected) => {
    expect(forwardedToLeader(method, url)).toBe(expected);
  });
});

describe('forwardedFor: the X-Forwarded-For chain a follower sends on', () => {
  it.each([
    [undefined, '10.0.0.9', '10.0.0.9'],
    ['203.0.113.7', '10.0.0.9', '203.0.113.7, 10.0.0.9'],
    ['203.0.113.7, 198.51.100.2', '10.0.0.9', '203.0.113.7, 198.51.100.2, 10.0.0.9'],
    [['203.0.113.7', '198.51.100.2'], '10.0.0.9', '203.0.113.7, 198.51.100.2, 10.0.0.9'],
    ['203.0.113.7', undefined, '203.0.113.7'],
  ])('%j from %s → %j', (chain, from, expected) => {
    expect(forwardedFor(chain, from)).toBe(expected);
  });
});
