import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { describe, expect, it } from 'vitest';
import { UpdateRtmpConfigDto } from '../rtmp/dto/rtmp-config.dto.js';
import { UpdateTelegramConfigDto } from '../telegram/dto/telegram-config.dto.js';
import { AddTrackDto, ReorderTracksDto, UpdateTrackDto } from '../tracks/dto/track.dto.js';
import { flattenValidationErrors } from '../documents/document-store.service.js';

/** The messages the global ValidationPipe would answer 400 with (its options as in app.factory). */
function problems(dto: new () => object, body: Record<string, unknown>): string[] {
  return flattenValidationErrors(validateSync(plainToInstance(dto, body), { whitelist: true, forbidNonWhitelisted: true }));
}

describe('request DTOs', () => {
  it.each([
    [UpdateTrackDto, 'title'],
    [UpdateTrackDto, 'artist'],
    [AddTrackDto, 'title'],
    [UpdateTelegramConfigDto, 'streamKey'],
    [UpdateTelegramConfigDto, 'serverUrl'],
    [UpdateTelegramConfigDto, 'liveTakeover'],
    [UpdateTelegramConfigDto, 'audioBitrateKbps'],
    [UpdateTelegramConfigDto, 'coverImage'],
    [UpdateTelegramConfigDto, 'radioUrl'],
    [UpdateRtmpConfigDto, 'rtmpPort'],
    [UpdateRtmpConfigDto, 'streamKeys'],
    [UpdateRtmpConfigDto, 'image'],
  ] as const)('%o refuses %s: null, naming the field', (dto, field) => {
    const found = problems(dto, { ...(dto === AddTrackDto ? { path: '/srv/a.mp3' } : {}), [field]: null });
    expect(found.length).toBeGreaterThan(0);
    expect(found.filter((message) => !message.includes(field))).toEqual([]);
  });

  it('still lets optional fields be left out', () => {
    expect(problems(UpdateTrackDto, {})).toEqual([]);
    expect(problems(UpdateTelegramConfigDto, {})).toEqual([]);
    expect(problems(UpdateRtmpConfigDto, {})).toEqual([]);
  });

  it.each(['key\u0000tail', 'key\u0001', 'key\u001b[31m', 'key\u007f', 'key\ttab'])('refuses the Telegram stream key %j', (streamKey) => {
    expect(problems(UpdateTelegramConfigDto, { streamKey })).toEqual(
      expect.arrayContaining([expect.stringMatching(/^streamKey must not contain/)]),
    );
  });

  it('refuses control characters in paths, keys and URLs, and takes the plain ones', () => {
    expect(problems(UpdateTelegramConfigDto, { coverImage: 'cover\u0000.png' })).toEqual([
      expect.stringMatching(/^coverImage must not contain control characters/),
    ]);
    expect(problems(AddTrackDto, { path: '/srv/a\n.mp3' })).toEqual([expect.stringMatching(/^path must not contain control characters/)]);
    expect(problems(UpdateTelegramConfigDto, { radioUrl: 'https://radio.example/\u0000' })).toHaveLength(1);
    expect(problems(UpdateRtmpConfigDto, { streamKeys: ['dj-anna-7f3c\u00009a'] })).toHaveLength(1);
    expect(problems(UpdateTrackDto, { title: 'Night\u0000Drive', artist: 'Wave\nEnsemble' })).toHaveLength(2);
    expect(problems(UpdateRtmpConfigDto, { image: `wave/${'a'.repeat(600)}` })).toEqual([expect.stringMatching(/^image must be shorter/)]);
    expect(
      problems(UpdateTelegramConfigDto, {
        streamKey: '1234567890:AbCdEfGh',
        coverImage: 'covers/night.png',
        radioUrl: 'https://radio.example/a.mp3',
      }),
    ).toEqual([]);
    expect(problems(UpdateTrackDto, { title: 'Ночной путь 夜 🎧', artist: 'Wave Ensemble' })).toEqual([]);
  });

  it('checks every track id of a reorder, naming the first bad one', () => {
    expect(problems(ReorderTracksDto, { trackIds: ['a', 'b'] })).toEqual([]);
    expect(problems(ReorderTracksDto, { trackIds: ['a', 7, null] })).toEqual(['trackIds[1] must be a string of at most 128 characters']);
    expect(problems(ReorderTracksDto, { trackIds: ['a', 'x'.repeat(129)] })).toEqual([
      'trackIds[1] must be a string of at most 128 characters',
    ]);
    expect(problems(ReorderTracksDto, { trackIds: 'a' })).toEqual(expect.arrayContaining(['trackIds must be an array']));
  });
});
