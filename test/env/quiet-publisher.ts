import { ChildProcess, spawn } from 'node:child_process';
import { FlvPublisher } from '../../src/telegram/daemon/rtmp/flv-relay.js';
import { liveAudioArgs } from './media.js';

export interface QuietPublisher {
  /** Resolves once the ingest accepted the publish. */
  published: Promise<void>;
  /** Ends the publish as a DJ's software does (FCUnpublish, deleteStream), then stops ffmpeg. */
  stop(): Promise<void>;
}

/**
 * A publisher whose key is on no command line: ffmpeg only makes FLV (a tone, in real time) on its stdout,
 * and this process publishes it with the daemon's own RTMP client. What a DJ on another machine is to a
 * secret scan of this one.
 */
export function startQuietPublisher(url: string, tone = 'aevalsrc=0.5*sin(2*PI*1000*t):s=44100'): QuietPublisher {
  const ffmpeg: ChildProcess = spawn('ffmpeg', liveAudioArgs(tone, 'pipe:1'), { stdio: ['ignore', 'pipe', 'ignore'] });
  const publisher = new FlvPublisher(url, null, ffmpeg.stdout!, 10_000);
  const published = new Promise<void>((resolve, reject) => {
    publisher.once('published', () => resolve());
    publisher.once('closed', ({ error }) => reject(error ?? new Error('the ingest closed the publish')));
  });
  published.catch(() => undefined);
  publisher.start();
  return {
    published,
    async stop() {
      publisher.close();
      if (ffmpeg.exitCode !== null || ffmpeg.signalCode !== null) return;
      await new Promise<void>((resolve) => {
        ffmpeg.once('exit', () => resolve());
        ffmpeg.kill('SIGKILL');
      });
    },
  };
}
