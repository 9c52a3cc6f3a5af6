/** Raw PCM as the feeder writes it to the encoder: signed 16-bit little-endian, interleaved. */
export interface PcmFormat {
  sampleRate: number;
  channels: number;
}

export const BYTES_PER_SAMPLE = 2;

export function frameBytes(format: PcmFormat): number {
  return format.channels * BYTES_PER_SAMPLE;
}

export function bytesForMs(format: PcmFormat, ms: number): number {
  return Math.floor((ms * format.sampleRate) / 1000) * frameBytes(format);
}

export function msForBytes(format: PcmFormat, bytes: number): number {
  return (bytes / frameBytes(format) / format.sampleRate) * 1000;
}

/**
 * The audio clock. Frame N of the stream is due at `originMs + N / sampleRate`; the feeder asks how many
 * bytes it owes at `nowMs` (everything due by now plus a small lead, so the encoder never starves) and
 * advances by what it wrote. Times are monotonic milliseconds (performance.now()).
 */
export class PcmClock {
  private framesWritten = 0;
  private framesSkipped = 0;

  constructor(
    readonly format: PcmFormat,
    readonly originMs: number,
    /** Written ahead of the due time so the encoder always has input. */
    readonly leadMs: number,
    /** After a stall longer than this (event loop blocked), the missing audio is skipped, not burst out. */
    readonly maxCatchUpMs = 1000,
  ) {}

  /** Frames written (or skipped) so far: the position of the next frame. */
  get position(): number {
    return this.framesWritten;
  }

  get skippedFrames(): number {
    return this.framesSkipped;
  }

  /** Bytes to write at `nowMs`, frame-aligned; skips ahead (without writing) after a long stall. */
  bytesDue(nowMs: number): number {
    const rate = this.format.sampleRate;
    const due = Math.floor(((nowMs - this.originMs + this.leadMs) * rate) / 1000);
    let missing = due - this.framesWritten;
    const maxFrames = Math.floor((this.maxCatchUpMs * rate) / 1000);
    if (missing > maxFrames) {
      this.framesSkipped += missing - maxFrames;
      this.framesWritten += missing - maxFrames;
      missing = maxFrames;
    }
    return Math.max(0, missing) * frameBytes(this.format);
  }

  /** Records that `bytes` (frame-aligned) were written. */
  advance(bytes: number): void {
    this.framesWritten += Math.floor(bytes / frameBytes(this.format));
  }

  /** When frame `frame` is due (monotonic ms). */
  timeOfFrame(frame: number): number {
    return this.originMs + (frame * 1000) / this.format.sampleRate;
  }
}

/**
 * A FIFO of PCM bytes. Reads are frame-aligned. With a cap, pushing past it drops the oldest audio
 * (a live source must not drift behind real time); without one, the producer is paced by back-pressure.
 */
export class PcmBuffer {
  private chunks: Buffer[] = [];
  private head = 0;
  private size = 0;
  private droppedBytes = 0;

  constructor(
    private readonly frame: number,
    private readonly capBytes = Infinity,
  ) {}

  get length(): number {
    return this.size;
  }

  /** Whole frames ready to read, in bytes. */
  get readable(): number {
    return this.size - (this.size % this.frame);
  }

  get dropped(): number {
    return this.droppedBytes;
  }

  push(data: Buffer): void {
    if (data.length === 0) return;
    this.chunks.push(data);
    this.size += data.length;
    if (this.size > this.capBytes) {
      const excess = this.size - this.capBytes;
      this.discard(excess + ((this.frame - (excess % this.frame)) % this.frame));
    }
  }

  /** Up to `maxBytes` (rounded down to whole frames); null when not even one frame is buffered. */
  read(maxBytes: number): Buffer | null {
    const want = Math.min(maxBytes, this.readable);
    const bytes = want - (want % this.frame);
    if (bytes <= 0) return null;
    const first = this.chunks[0];
    if (first.length - this.head >= bytes) {
      const out = first.subarray(this.head, this.head + bytes);
      this.consume(bytes);
      return out;
    }
    const out = Buffer.allocUnsafe(bytes);
    let copied = 0;
    while (copied < bytes) {
      const chunk = this.chunks[0];
      const n = Math.min(chunk.length - this.head, bytes - copied);
      chunk.copy(out, copied, this.head, this.head + n);
      copied += n;
      this.consume(n);
    }
    return out;
  }

  clear(): void {
    this.chunks = [];
    this.head = 0;
    this.size = 0;
  }

  private discard(bytes: number): void {
    const n = Math.min(bytes, this.size);
    this.droppedBytes += n;
    let left = n;
    while (left > 0) {
      const available = this.chunks[0].length - this.head;
      const step = Math.min(available, left);
      this.consume(step);
      left -= step;
    }
  }

  private consume(bytes: number): void {
    this.head += bytes;
    this.size -= bytes;
    while (this.chunks.length > 0 && this.head >= this.chunks[0].length) {
      this.head -= this.chunks[0].length;
      this.chunks.shift();
    }
  }
}
