import type { NewTrack } from '../repositories/track.repository.js';

/** A library track for the programme's specs. */
export function specTrack(i: number): NewTrack {
  return {
    id: `t${i}`,
    title: `Title ${i}`,
    artist: `Artist ${i}`,
    album: '',
    genre: '',
    tags: [],
    path: `/music/${i}.mp3`,
    duration: 100 + i,
    addedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
    fileSize: null,
    fileMtimeMs: null,
  };
}

/** The error a call was refused with: its status, code and messages. */
export async function refusal(call: Promise<unknown>): Promise<{ status: number; code: string; message: string[]; details?: unknown }> {
  try {
    await call;
  } catch (error) {
    const e = error as { getStatus(): number; getResponse(): { code: string; message: string[]; details?: unknown } };
    const response = e.getResponse();
    return {
      status: e.getStatus(),
      code: response.code,
      message: response.message,
      ...(response.details ? { details: response.details } : {}),
    };
  }
  throw new Error('expected a refusal');
}
