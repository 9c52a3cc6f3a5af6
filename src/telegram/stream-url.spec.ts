import { validateSync } from 'class-validator';
import { describe, expect, it } from 'vitest';
import { hasUrlScheme, IsUrlWithScheme, publishUrl, RADIO_URL_SCHEMES } from './stream-url.js';

describe('hasUrlScheme', () => {
  it.each(['http://radio.example/stream', 'https://radio.example:8443/live.mp3', 'rtmp://127.0.0.1/live/x', 'rtmps://dc4-1.rtmp.t.me/s/'])(
    'accepts %s',
    (url) => expect(hasUrlScheme(url, RADIO_URL_SCHEMES)).toBe(true),
  );

  it.each([
    'file:///etc/passwd',
    'concat:/etc/passwd|/etc/hosts',
    'subfile:,start,0,end,100,:/etc/passwd',
    'pipe:0',
    '/etc/passwd',
    'ftp://example.com/a.mp3',
    'http://',
    ' http://radio.example/stream',
    // ffmpeg matches protocols case-sensitively: these would fail at run time.
    'HTTP://radio.example/stream',
    'RTMPS://dc4-1.rtmp.t.me/s/',
    // The URL parser drops tabs and newlines and mends slashes: ffmpeg would get another string than the one
    // checked (the first one it reads as a local file path).
    'ht\ttp://radio.example/stream',
    'http://radio.example/\n../stream',
    'http:radio.example/stream',
    'http:/\\radio.example/stream',
    '',
    42,
  ])('rejects %s', (url) => expect(hasUrlScheme(url, RADIO_URL_SCHEMES)).toBe(false));
});

describe('IsUrlWithScheme', () => {
  class Target {
    @IsUrlWithScheme(['rtmp', 'rtmps'])
    url = '';
  }

  it('names the field and the allowed schemes', () => {
    const target = Object.assign(new Target(), { url: 'http://x.example/' });
    const [error] = validateSync(target);
    expect(Object.values(error.constraints ?? {})).toEqual(['url must be a URL starting with rtmp://, rtmps://']);
  });
});

describe('publishUrl', () => {
  it('joins server URL and key with one slash', () => {
    expect(publishUrl('rtmps://dc4-1.rtmp.t.me/s/', '1:abc')).toBe('rtmps://dc4-1.rtmp.t.me/s/1:abc');
    expect(publishUrl('rtmp://127.0.0.1:1935/live', 'k')).toBe('rtmp://127.0.0.1:1935/live/k');
  });
});
