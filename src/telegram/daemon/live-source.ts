import { EventEmitter } from 'node:events';
import type { ProcessRepository } from '../../repositories/process.repository.js';
import { redact } from '../../common/redaction.js';
import type { AudioSource, PcmChunk } from './audio-source.js';
import { bytesForMs, PcmFormat } from './pcm.js';
import { DecoderExit, liveDecoderArgs, PcmDecoder, radioDecoderArgs } from './pcm-decoder.js';

export interface LiveSourceOptions {
  processes: ProcessRepository;
  ffmpegPath: string;
  format: PcmFormat;
  /** Most audio kept buffered; older audio is dropped so the delay stays bounded. */
  capMs: number;
}

/**
 * A source that arrives in real time: an internet radio (`url`) or the live RTMP ingest relayed (`rtmp`).
 * One decoder per activation; `finished` once it has ended (EOF, network error, timeout) and drained.
 * Emits `exit` (DecoderExit) when its decoder ends.
 */
export class LiveSource extends EventEmitter implements AudioSource {
  readonly label: string;
  private decoder: PcmDecoder | null = null;

  constructor(
    readonly kind: 'url' | 'rtmp',
    readonly url: string,
    private readonly options: LiveSourceOptions,
  ) {
    super();
    this.label = sourceLabel(url);
  }

  get finished(): boolean {
    return this.decoder?.finished ?? false;
  }

  activate(): void {
    if (this.decoder && !this.decoder.hasExited) return;
    const { format } = this.options;
    const args = this.kind === 'rtmp' ? liveDecoderArgs(this.url, format) : radioDecoderArgs(this.url, format);
    const decoder = new PcmDecoder(this.options.processes, this.options.ffmpegPath, args, format, {
      capBytes: bytesForMs(format, this.options.capMs),
    });
    decoder.once('exit', (exit: DecoderExit) => this.emit('exit', { ...exit, stderr: redact(exit.stderr) }));
    this.decoder = decoder;
    decoder.start();
  }

  deactivate(): void {
    this.decoder?.stop();
    this.decoder = null;
  }

  available(): number {
    return this.decoder?.available ?? 0;
  }

  read(maxBytes: number): PcmChunk | null {
    const data = this.decoder?.read(maxBytes);
    return data ? { data } : null;
  }

  close(): void {
    this.deactivate();
  }
}

/** A URL fit for logs and reports: no user info, no query, and an RTMP stream key masked. */
export function sourceLabel(url: string): string {
  try {
    const parsed = new URL(url);
    return redact(`${parsed.protocol}//${parsed.host}${parsed.pathname}`);
  } catch {
    return 'invalid url';
  }
}
