import { describe, expect, it } from 'vitest';
import { ingestTarget, preferredSource, sameSource } from './telegram-stream-daemon.js';

describe('preferredSource (switch-source command from Wave)', () => {
  it('accepts the playlist, radio URLs and RTMP relays', () => {
    expect(preferredSource({ command: 'switch-source', source: 'playlist' })).toEqual({ kind: 'playlist' });
    expect(preferredSource({ command: 'switch-source', source: 'url', url: 'https://radio.example/live.mp3' })).toEqual({
      kind: 'url',
      url: 'https://radio.example/live.mp3',
    });
    expect(preferredSource({ command: 'switch-source', source: 'rtmp', url: 'rtmp://127.0.0.1:1935/live/dj' })).toEqual({
      kind: 'rtmp',
      url: 'rtmp://127.0.0.1:1935/live/dj',
    });
    // Wave's own ingest is marked as such (read by ffmpeg directly, not held to WAVE_OUTBOUND_ALLOW); only for rtmp.
    expect(preferredSource({ command: 'switch-source', source: 'rtmp', url: 'rtmp://127.0.0.1:1935/live/id', ingest: true })).toEqual({
      kind: 'rtmp',
      url: 'rtmp://127.0.0.1:1935/live/id',
      ingest: true,
    });
    expect(preferredSource({ command: 'switch-source', source: 'url', url: 'http://127.0.0.1/x', ingest: true } as never)).toEqual({
      kind: 'url',
      url: 'http://127.0.0.1/x',
    });
  });

  it.each([
    ['url', 'file:///etc/passwd'],
    ['url', 'concat:/etc/passwd|/etc/hosts'],
    ['url', 'subfile:,start,0,end,10,:/etc/passwd'],
    ['rtmp', 'http://radio.example/live.mp3'],
  ] as const)('refuses a %s source at %s', (source, url) => {
    expect(typeof preferredSource({ command: 'switch-source', source, url })).toBe('string');
  });
});

describe('sameSource (a repeated switch leaves the source on the air alone)', () => {
  it('matches the same kind and URL only', () => {
    expect(sameSource({ kind: 'playlist' }, { kind: 'playlist' })).toBe(true);
    expect(sameSource({ kind: 'rtmp', url: 'rtmp://h/live/a' }, { kind: 'rtmp', url: 'rtmp://h/live/a' })).toBe(true);
    expect(sameSource({ kind: 'rtmp', url: 'rtmp://h/live/a' }, { kind: 'rtmp', url: 'rtmp://h/live/b' })).toBe(false);
    expect(sameSource({ kind: 'url', url: 'rtmp://h/live/a' }, { kind: 'rtmp', url: 'rtmp://h/live/a' })).toBe(false);
    expect(sameSource({ kind: 'playlist' }, { kind: 'url', url: 'https://radio.example/a' })).toBe(false);
  });
});

describe('ingestTarget', () => {
  it('probes the ingest port: explicit, 443 for rtmps, 1935 for rtmp', () => {
    expect(ingestTarget('rtmps://dc4-1.rtmp.t.me/s/')).toEqual({ host: 'dc4-1.rtmp.t.me', port: 443 });
    expect(ingestTarget('rtmp://127.0.0.1/live')).toEqual({ host: '127.0.0.1', port: 1935 });
    expect(ingestTarget('rtmps://127.0.0.1:1936/s/')).toEqual({ host: '127.0.0.1', port: 1936 });
  });
});
