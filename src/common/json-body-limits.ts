import { WaveError } from './wave-error.js';

/**
 * Wave's request bodies are flat: an object of scalars, at most one array of strings in it (depth 2).
 * Anything much deeper is hostile, and class-transformer (the ValidationPipe's first step) recurses
 * through every level: 2,000 levels overflow its stack (a 500), and a 1 MB nest of small values holds the
 * event loop for a second. These bounds are checked on the raw bytes before anything parses them.
 */
export const MAX_JSON_DEPTH = 16;
/** Elements of one array; `PUT /api/tracks/order` names every track, so this also bounds the library it can order. */
export const MAX_JSON_ARRAY_ITEMS = 10_000;
/** Values in the whole body (every element and member, at any depth): what validation walks, bounded apart from size. */
export const MAX_JSON_VALUES = 20_000;

export interface JsonBodyLimits {
  maxDepth: number;
  maxArrayItems: number;
  maxValues: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const COMMA = 0x2c;

/**
 * The first limit the JSON text `body` breaks, as a 400 WaveError, or undefined. One pass over the bytes,
 * no allocation beyond two small arrays, so a 1 MB body costs about a millisecond whatever its shape.
 * Structural characters are ASCII and never occur inside a UTF-8 multi-byte sequence, so bytes are enough.
 * Malformed text is not judged here: the JSON parser that runs next refuses it.
 */
export function jsonBodyLimitError(body: Uint8Array, limits: JsonBodyLimits = DEFAULT_LIMITS): WaveError | undefined {
  const inArray = new Uint8Array(limits.maxDepth + 1);
  const commas = new Uint32Array(limits.maxDepth + 1);
  let depth = 0;
  let values = 0;
  let inString = false;
  for (let i = 0; i < body.length; i++) {
    const byte = body[i];
    if (inString) {
      if (byte === BACKSLASH)
        i++; // the escaped character cannot end the string
      else if (byte === QUOTE) inString = false;
      continue;
    }
    switch (byte) {
      case QUOTE:
        inString = true;
        break;
      case OPEN_ARRAY:
      case OPEN_OBJECT:
        if (++depth > limits.maxDepth) {
          return new WaveError(400, 'json_too_deep', `The JSON body is nested deeper than ${limits.maxDepth} levels`);
        }
        inArray[depth] = byte === OPEN_ARRAY ? 1 : 0;
        commas[depth] = 0;
        if (++values > limits.maxValues) return tooManyValues(limits);
        break;
      case CLOSE_ARRAY:
      case CLOSE_OBJECT:
        if (depth > 0) depth--;
        break;
      case COMMA:
        // n commas separate n + 1 elements.
        if (inArray[depth] === 1 && ++commas[depth] >= limits.maxArrayItems) {
          return new WaveError(400, 'json_array_too_long', `A JSON array in the body has more than ${limits.maxArrayItems} elements`);
        }
        if (++values > limits.maxValues) return tooManyValues(limits);
        break;
    }
  }
  return undefined;
}

const DEFAULT_LIMITS: JsonBodyLimits = { maxDepth: MAX_JSON_DEPTH, maxArrayItems: MAX_JSON_ARRAY_ITEMS, maxValues: MAX_JSON_VALUES };

function tooManyValues(limits: JsonBodyLimits): WaveError {
  return new WaveError(400, 'json_too_many_values', `The JSON body holds more than ${limits.maxValues} values`);
}
