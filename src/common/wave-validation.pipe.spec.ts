import 'reflect-metadata';
import type { ArgumentMetadata } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import { UpdateTrackDto } from '../tracks/dto/track.dto.js';
import { WaveValidationPipe } from './wave-validation.pipe.js';

const pipe = new WaveValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true });
const body: ArgumentMetadata = { type: 'body', metatype: UpdateTrackDto };

describe('WaveValidationPipe', () => {
  it.each([null, 'hello', 42, true, [], [{ title: 'x' }]])('refuses the body %j for a DTO with 400 body_not_object', async (value) => {
    await expect(pipe.transform(value, body)).rejects.toMatchObject({ status: 400, code: 'body_not_object' });
  });

  it('validates an object as Nest does, and takes no body as an empty one', async () => {
    await expect(pipe.transform({ title: 'Night Drive' }, body)).resolves.toBeInstanceOf(UpdateTrackDto);
    await expect(pipe.transform({ title: 5 }, body)).rejects.toMatchObject({ status: 400 });
    await expect(pipe.transform(undefined, body)).resolves.toBeInstanceOf(UpdateTrackDto);
  });

  it('leaves parameters and queries to Nest', async () => {
    await expect(pipe.transform('abc', { type: 'param', metatype: String, data: 'id' })).resolves.toBe('abc');
  });
});
