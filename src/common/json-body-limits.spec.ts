import { describe, expect, it } from 'vitest';
import { jsonBodyLimitError, MAX_JSON_ARRAY_ITEMS, MAX_JSON_DEPTH, MAX_JSON_VALUES } from './json-body-limits.js';

const bytes = (text: string) => Buffer.from(text, 'utf8');
const nested = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;
const array = (items: number) => `[${Array.from({ length: items }, () => '1').join(',')}]`;

describe('jsonBodyLimitError', () => {
  it('lets every body Wave takes through', () => {
    for (const body of [
      '{}',
      '{"title":"Night Drive","artist":null}',
      JSON.stringify({ trackIds: Array.from({ length: MAX_JSON_ARRAY_ITEMS }, (_, i) => `id-${i}`) }),
      JSON.stringify({ streamKeys: ['a', 'b'], rtmpPort: 1935 }),
      nested(MAX_JSON_DEPTH),
    ]) {
      expect(jsonBodyLimitError(bytes(body)), body.slice(0, 40)).toBeUndefined();
    }
  });

  it('refuses nesting deeper than the limit, arrays or objects, as 400 json_too_deep', () => {
    const deepArrays = jsonBodyLimitError(bytes(nested(MAX_JSON_DEPTH + 1)));
    expect(deepArrays?.getStatus()).toBe(400);
    expect(deepArrays?.code).toBe('json_too_deep');
    const deepObjects = `${'{"a":'.repeat(MAX_JSON_DEPTH + 1)}1${'}'.repeat(MAX_JSON_DEPTH + 1)}`;
    expect(jsonBodyLimitError(bytes(deepObjects))?.code).toBe('json_too_deep');
    // A million levels cost one pass, and the answer comes at the 17th.
    expect(jsonBodyLimitError(bytes(nested(500_000)))?.code).toBe('json_too_deep');
  });

  it('refuses an array longer than the limit at any depth, as 400 json_array_too_long', () => {
    expect(jsonBodyLimitError(bytes(array(MAX_JSON_ARRAY_ITEMS)))).toBeUndefined();
    expect(jsonBodyLimitError(bytes(array(MAX_JSON_ARRAY_ITEMS + 1)))?.code).toBe('json_array_too_long');
    expect(jsonBodyLimitError(bytes(`{"a":{"b":${array(MAX_JSON_ARRAY_ITEMS + 1)}}}`))?.code).toBe('json_array_too_long');
  });

  it('counts the members of objects apart from arrays: an object with many keys is bounded by the value count only', () => {
    const members = (n: number) => `{${Array.from({ length: n }, (_, i) => `"k${i}":1`).join(',')}}`;
    expect(jsonBodyLimitError(bytes(members(MAX_JSON_ARRAY_ITEMS + 5)))).toBeUndefined();
    expect(jsonBodyLimitError(bytes(members(MAX_JSON_VALUES + 1)))?.code).toBe('json_too_many_values');
  });

  it('bounds the values of the whole body, spread over many short arrays', () => {
    const rows = Array.from({ length: 30 }, () => array(1000)).join(',');
    expect(jsonBodyLimitError(bytes(`[${rows}]`))?.code).toBe('json_too_many_values');
  });

  it('ignores brackets and commas inside strings, escaped quotes included', () => {
    const tricky = JSON.stringify({ title: `${'['.repeat(100)}\\"${','.repeat(MAX_JSON_ARRAY_ITEMS + 1)}"{{{` });
    expect(jsonBodyLimitError(bytes(tricky))).toBeUndefined();
    expect(jsonBodyLimitError(bytes(JSON.stringify({ a: '\\', b: nested(MAX_JSON_DEPTH + 5) })))).toBeUndefined();
  });

  it('judges multi-byte UTF-8 text by its structure only', () => {
    expect(jsonBodyLimitError(bytes(JSON.stringify({ title: 'Ночной [путь] 夜の{ドライブ} 🎧,' })))).toBeUndefined();
  });

  it('scans a 1 MB body in well under the 50 ms a request may hold the event loop', () => {
    const body = bytes(`[${'1,'.repeat(512 * 1024 - 1)}1]`);
    const started = performance.now();
    for (let i = 0; i < 10; i++) jsonBodyLimitError(body, { maxDepth: MAX_JSON_DEPTH, maxArrayItems: Infinity, maxValues: Infinity });
    expect((performance.now() - started) / 10).toBeLessThan(25);
  });
});
