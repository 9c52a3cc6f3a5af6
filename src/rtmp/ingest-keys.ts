import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { AppConfig } from '../config/app-config.js';
import { FileLockRepository } from '../repositories/file-lock.repository.js';
import { StorageRepository } from '../repositories/storage.repository.js';

/** `DATA_DIR/rtmp-ingest.key`: 32 random bytes (hex), made once, mode 0600. */
export const INGEST_KEY_FILE = 'rtmp-ingest.key';

/**
 * Wave's own secret for the RTMP ingest, kept in DATA_DIR so that a restarted Wave derives the same values
 * as the one before it:
 * - the name nginx-rtmp knows a publisher by instead of its stream key (the publish callback renames the
 *   stream), so /stat, HLS file names and the relay decoder's input never carry a key;
 * - each container's secret (its callback URL, and the bearer token its /stat asks for) from the random
 *   nonce on the container's label: only the nonce and the secret's sha256 are visible in `docker inspect`.
 */
@Injectable()
export class RtmpIngestKeys implements OnModuleInit {
  private readonly logger = new Logger(RtmpIngestKeys.name);
  private loading?: Promise<Buffer>;
  private key?: Buffer;

  constructor(
    private readonly config: AppConfig,
    private readonly storage: StorageRepository,
    private readonly fileLocks: FileLockRepository,
  ) {}

  /** Loaded at boot so the publish callbacks need no disk; a failure here is retried at first use (and reported there). */
  async onModuleInit(): Promise<void> {
    await this.load().catch((error: Error) => this.logger.warn(`The RTMP ingest key is not readable yet: ${error.message}`));
  }

  /** Reads the key, creating it on first use. */
  load(): Promise<Buffer> {
    this.loading ??= this.readOrCreate().then(
      (key) => (this.key = key),
      (error: unknown) => {
        this.loading = undefined;
        throw error;
      },
    );
    return this.loading;
  }

  private async readOrCreate(): Promise<Buffer> {
    const path = join(this.config.dataDir, INGEST_KEY_FILE);
    const parse = (text: string) => {
      const hex = text.trim();
      if (!/^[0-9a-f]{64}$/.test(hex))
        throw new Error(`${path} is not a 64-digit hex key; remove it (and restart the RTMP ingest) to make a new one`);
      return Buffer.from(hex, 'hex');
    };
    const readIfThere = async () => {
      try {
        return parse(await this.storage.readText(path));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        return null;
      }
    };
    try {
      const existing = await readIfThere();
      if (existing) return existing;
    } catch {
      // Read again under the lock below: an instance booting alongside may be writing it at this moment.
    }
    // Under the file's lock: the instance creating it holds the lock until the key is whole in it. Exclusive
    // besides: two Wave processes agree on whichever key was written first.
    return this.fileLocks.withLock(
      path,
      async () => {
        const created = await readIfThere();
        if (created) return created;
        await this.storage.createExclusive(path, `${randomBytes(32).toString('hex')}\n`, 0o600);
        return parse(await this.storage.readText(path));
      },
      this.fileLocks.timings.patientWaitMs,
    );
  }

  private loaded(): Buffer {
    if (!this.key) throw new Error('the RTMP ingest key is not loaded yet (call load() first)');
    return this.key;
  }

  /** The stream name a key publishes under inside nginx: opaque, stable across Wave restarts, never the key. */
  publisherIdOf(streamKey: string): string {
    return createHmac('sha256', this.loaded()).update(`publisher:${streamKey}`).digest('base64url').slice(0, 22);
  }

  /** The secret of the container whose label carries `nonce`. */
  containerSecret(nonce: string): string {
    return createHmac('sha256', this.loaded()).update(`container:${nonce}`).digest('base64url');
  }
}

export function newContainerNonce(): string {
  return randomBytes(16).toString('base64url');
}

export function secretHash(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}
