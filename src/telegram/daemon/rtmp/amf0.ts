/** AMF0, the encoding of RTMP commands and stream metadata (the subset RTMP servers send and expect). */
export type AmfValue = number | boolean | string | null | undefined | Date | AmfObject | AmfValue[];
export interface AmfObject {
  [key: string]: AmfValue;
}

const NUMBER = 0x00;
const BOOLEAN = 0x01;
const STRING = 0x02;
const OBJECT = 0x03;
const NULL = 0x05;
const UNDEFINED = 0x06;
const ECMA_ARRAY = 0x08;
const OBJECT_END = 0x09;
const STRICT_ARRAY = 0x0a;
const DATE = 0x0b;
const LONG_STRING = 0x0c;

export class AmfError extends Error {}

function utf8(text: string): Buffer {
  return Buffer.from(text, 'utf8');
}

function encodeKey(key: string): Buffer {
  const bytes = utf8(key);
  const length = Buffer.alloc(2);
  length.writeUInt16BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

function encodeValue(value: AmfValue): Buffer {
  if (value === null) return Buffer.from([NULL]);
  if (value === undefined) return Buffer.from([UNDEFINED]);
  if (typeof value === 'number') {
    const out = Buffer.alloc(9);
    out[0] = NUMBER;
    out.writeDoubleBE(value, 1);
    return out;
  }
  if (typeof value === 'boolean') return Buffer.from([BOOLEAN, value ? 1 : 0]);
  if (typeof value === 'string') {
    const bytes = utf8(value);
    if (bytes.length <= 0xffff) {
      const head = Buffer.alloc(3);
      head[0] = STRING;
      head.writeUInt16BE(bytes.length, 1);
      return Buffer.concat([head, bytes]);
    }
    const head = Buffer.alloc(5);
    head[0] = LONG_STRING;
    head.writeUInt32BE(bytes.length, 1);
    return Buffer.concat([head, bytes]);
  }
  if (value instanceof Date) {
    const out = Buffer.alloc(11);
    out[0] = DATE;
    out.writeDoubleBE(value.getTime(), 1);
    return out;
  }
  if (Array.isArray(value)) {
    const head = Buffer.alloc(5);
    head[0] = STRICT_ARRAY;
    head.writeUInt32BE(value.length, 1);
    return Buffer.concat([head, ...value.map(encodeValue)]);
  }
  const parts: Buffer[] = [Buffer.from([OBJECT])];
  for (const [key, item] of Object.entries(value)) parts.push(encodeKey(key), encodeValue(item));
  parts.push(Buffer.from([0, 0, OBJECT_END]));
  return Buffer.concat(parts);
}

/** The values one after another, as a command or data message carries them. */
export function encodeAmf0(...values: AmfValue[]): Buffer {
  return Buffer.concat(values.map(encodeValue));
}

class Reader {
  offset = 0;
  constructor(private readonly data: Buffer) {}

  get done(): boolean {
    return this.offset >= this.data.length;
  }

  private need(bytes: number): void {
    if (this.offset + bytes > this.data.length) throw new AmfError('AMF0 value runs past the end of the message');
  }

  byte(): number {
    this.need(1);
    return this.data[this.offset++];
  }

  u16(): number {
    this.need(2);
    const v = this.data.readUInt16BE(this.offset);
    this.offset += 2;
    return v;
  }

  u32(): number {
    this.need(4);
    const v = this.data.readUInt32BE(this.offset);
    this.offset += 4;
    return v;
  }

  double(): number {
    this.need(8);
    const v = this.data.readDoubleBE(this.offset);
    this.offset += 8;
    return v;
  }

  text(length: number): string {
    this.need(length);
    const v = this.data.toString('utf8', this.offset, this.offset + length);
    this.offset += length;
    return v;
  }

  properties(): AmfObject {
    const out: AmfObject = {};
    for (;;) {
      const key = this.text(this.u16());
      if (key === '' && this.data[this.offset] === OBJECT_END) {
        this.offset += 1;
        return out;
      }
      out[key] = this.value();
    }
  }

  value(): AmfValue {
    const type = this.byte();
    switch (type) {
      case NUMBER:
        return this.double();
      case BOOLEAN:
        return this.byte() !== 0;
      case STRING:
        return this.text(this.u16());
      case LONG_STRING:
        return this.text(this.u32());
      case OBJECT:
        return this.properties();
      case NULL:
        return null;
      case UNDEFINED:
        return undefined;
      case ECMA_ARRAY:
        this.u32(); // the count is a hint; the properties end with the object end marker
        return this.properties();
      case STRICT_ARRAY: {
        const count = this.u32();
        const items: AmfValue[] = [];
        for (let i = 0; i < count; i++) items.push(this.value());
        return items;
      }
      case DATE: {
        const ms = this.double();
        this.u16(); // time zone, unused by the format's own definition
        return new Date(ms);
      }
      default:
        throw new AmfError(`AMF0 type 0x${type.toString(16)} is not supported`);
    }
  }
}

/** Every value in `data`, in order. */
export function decodeAmf0(data: Buffer): AmfValue[] {
  const reader = new Reader(data);
  const values: AmfValue[] = [];
  while (!reader.done) values.push(reader.value());
  return values;
}

export function isAmfObject(value: AmfValue): value is AmfObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}
