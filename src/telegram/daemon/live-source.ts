import { EventEmitter } from 'node:events';
import type { Writable } from 'node:stream';
import type { OutboundPolicy } from '../../common/outbound-policy.js';
import type { ProcessRepository } from '../../repositories/process.repository.js';
import { redact } from '../../common/redaction.js';
import type { AudioSource, PcmChunk } from './audio-source.js';
import { openRadio } from './http-radio.js';
import { bytesForMs, PcmFormat } from './pcm.js';
import { DecoderExit, liveDecoderArgs, PcmDecoder, pipedFlvDecoderArgs, pipedRadioDecoderArgs } from './pcm-decoder.js';
import { FlvPlayer } from './rtmp/flv-relay.js';

export interface LiveSourceOptions {
  processes: ProcessRepository;
  ffmpegPath: string;
  format: PcmFormat;
  /** Most audio kept buffered; older audio is dropped so the delay stays bounded. */
  capMs: number;
  /** Where a configured URL may connect (WAVE_OUTBOUND_ALLOW). */
  policy: OutboundPolicy;
  /** Wave's own RTMP ingest (a host Wave chose; stream names are publisherIds): ffmpeg reads it directly. */
  ingest?: boolean;
  /** The real-time loudness control's target (LUFS), or null for none (the sound settings' liveLoudness, loudnessTarget). */
  loudnessTargetLufs?: number | null;
}

/** Why the input of a source failed, when it did (the daemon reports it with this code). */
export interface SourceFailure {
  code: string;
  message: string;
}

/**
 * A source that arrives in real time: an internet radio (`url`) or a live RTMP stream relayed (`rtmp`).
 * One decoder per activation; `finished` once it has ended (EOF, network error, timeout) and drained.
 * Emits `first-audio` ({ afterMs }: from the decoder's start to its first PCM, for the hand-over's timings) and
 * `exit` (DecoderExit) when its decoder ends.
 *
 * A configured URL is fetched by the daemon itself and piped into ffmpeg, so its credentials (a radio's
 * password or token, a relay's key) are in no process's arguments, and every connection, redirects
 * included, is checked against the outbound policy. Only Wave's own ingest is read by ffmpeg directly.
 */
export class LiveSource extends EventEmitter implements AudioSource {
  readonly label: string;
  private decoder: PcmDecoder | null = null;
  private input: { close(): void } | null = null;
  private lastFailure: SourceFailure | null = null;

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

  /** Why the last activation's input failed (null when it ended normally or still plays). */
  get failure(): SourceFailure | null {
    return this.lastFailure;
  }

  activate(): void {
    if (this.decoder && !this.decoder.hasExited) return;
    this.closeInput();
    this.lastFailure = null;
    const { format } = this.options;
    const direct = this.kind === 'rtmp' && this.options.ingest;
    const http = /^https?:\/\//.test(this.url);
    const loudness = this.options.loudnessTargetLufs ?? null;
    const args = direct
      ? liveDecoderArgs(this.url, format, loudness)
      : http
        ? pipedRadioDecoderArgs(format, loudness)
        : pipedFlvDecoderArgs(format, loudness);
    const decoder = new PcmDecoder(this.options.processes, this.options.ffmpegPath, args, format, {
      capBytes: bytesForMs(format, this.options.capMs),
      feed: direct ? undefined : (stdin) => (http ? this.feedRadio(stdin) : this.feedRtmp(stdin)),
    });
    decoder.once('exit', (exit: DecoderExit) => this.emit('exit', { ...exit, stderr: redact(exit.stderr) }));
    const startedAt = performance.now();
    decoder.once('first-data', () => this.emit('first-audio', { afterMs: performance.now() - startedAt }));
    this.decoder = decoder;
    decoder.start();
  }

  deactivate(): void {
    this.closeInput();
    this.decoder?.stop();
    this.decoder = null;
  }

  private fail(error: Error & { code?: string }, stdin: Writable): void {
    this.lastFailure = { code: error.code === 'outbound_refused' ? 'outbound_refused' : 'source_failed', message: redact(error.message) };
    stdin.end();
  }

  private feedRadio(stdin: Writable): void {
    let closed = false;
    let close = () => {
      closed = true;
    };
    const input = { close: () => close() };
    this.input = input;
    openRadio(this.url, { policy: this.options.policy }).then(
      (radio) => {
        if (closed || this.input !== input) return radio.close();
        close = radio.close;
        radio.body.on('error', (error: Error) => this.fail(error, stdin));
        radio.body.pipe(stdin);
      },
      (error: Error) => {
        if (!closed) this.fail(error, stdin);
      },
    );
  }

  private feedRtmp(stdin: Writable): void {
    const player = new FlvPlayer(this.url, this.options.policy, stdin);
    this.input = { close: () => player.destroy() };
    player.once('closed', ({ error }) => {
      // The stream's own end (the publisher stopped) is an end, as ffmpeg read it, not a failure.
      if (error && error.code !== 'stream_ended') this.fail(error, stdin);
      else stdin.end();
    });
    player.start();
  }

  private closeInput(): void {
    this.input?.close();
    this.input = null;
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
