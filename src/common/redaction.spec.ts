import { describe, expect, it } from 'vitest';
import { maskSecret, redact, redactValue, registerSecret } from './redaction.js';

describe('redaction', () => {
  it('scrubs registered secrets wherever they appear', () => {
    registerSecret('my-registered-secret-value');
    expect(redact('key=my-registered-secret-value;')).toBe('key=****;');
  });

  it('scrubs the stream key from RTMP(S) publish URLs', () => {
    expect(redact('Output #0, flv, to rtmps://dc4-1.rtmp.t.me/s/1234567:AbCdEfGhIjKlMnOpQr:')).toBe(
      'Output #0, flv, to rtmps://dc4-1.rtmp.t.me/s/****',
    );
    expect(redact('rtmp://127.0.0.1:1935/live/dj-key')).toBe('rtmp://127.0.0.1:1935/live/****');
  });

  it('scrubs credentials and secret query parameters from URLs', () => {
    expect(redact('https://dj:hunter2@radio.example/stream.mp3?token=abc123&bitrate=128')).toBe(
      'https://****@radio.example/stream.mp3?token=****&bitrate=128',
    );
    expect(redact('rtmp://user:pw@127.0.0.1:1935/live/dj-key')).toBe('rtmp://****@127.0.0.1:1935/live/****');
    expect(redact('https://radio.example/stream.mp3')).toBe('https://radio.example/stream.mp3');
  });

  it('scrubs bearer tokens and Telegram-shaped keys', () => {
    expect(redact('Authorization: Bearer abc.def-ghi')).toBe('Authorization: Bearer ****');
    expect(redact('key 1234567890:AAbbCCddEEffGGhhIIjj end')).toBe('key **** end');
  });

  it('masks secret fields of objects, deeply', () => {
    expect(redactValue({ config: { streamKey: 'abc', keys: ['a', 'b'], port: 1935 }, headers: { authorization: 'x' } })).toEqual({
      config: { streamKey: '****', keys: '****', port: 1935 },
      headers: { authorization: '****' },
    });
  });

  it('shows only the tail of long secrets', () => {
    expect(maskSecret('1234567890:abcdefgh')).toBe('****efgh');
    expect(maskSecret('short')).toBe('****');
    expect(maskSecret(undefined)).toBeNull();
  });
});
