import { Injectable } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { maskSecret } from '../common/redaction.js';
import { WaveError } from '../common/wave-error.js';
import { DocumentStore, flattenValidationErrors } from '../documents/document-store.service.js';
import { RTMP_CONFIG_DOCUMENT, RtmpConfigDocument } from './rtmp-config.document.js';

/** The config as responses show it: stream keys masked. */
export type RtmpConfigView = Omit<RtmpConfigDocument, 'streamKeys'> & { streamKeys: string[] };

/** The RTMP ingest's settings in `DATA_DIR/streaming-config.json`. */
@Injectable()
export class RtmpConfigService {
  constructor(private readonly store: DocumentStore) {}

  read(): Promise<RtmpConfigDocument> {
    return this.store.read(RTMP_CONFIG_DOCUMENT);
  }

  /**
   * Stores `patch` over the current config. `apply` sees the validated result before it is written
   * (it checks and applies it to the running ingest); if it throws, the file stays as it was.
   */
  update(patch: Partial<RtmpConfigDocument>, apply: (next: RtmpConfigDocument) => Promise<void>): Promise<RtmpConfigDocument> {
    return this.store.update(RTMP_CONFIG_DOCUMENT, async (current) => {
      const next = validated({ ...current, ...patch });
      await apply(next);
      return next;
    });
  }

  view(config: RtmpConfigDocument): RtmpConfigView {
    return { ...config, streamKeys: config.streamKeys.map((key) => maskSecret(key) ?? '') };
  }
}

/** The whole config meets its schema and its two ports differ; else 400 invalid_rtmp_config. */
export function validated(candidate: RtmpConfigDocument): RtmpConfigDocument {
  const problems = flattenValidationErrors(validateSync(plainToInstance(RtmpConfigDocument, candidate), { forbidUnknownValues: false }));
  if (candidate.rtmpPort === candidate.httpPort) problems.push(`rtmpPort and httpPort must differ (both are ${candidate.rtmpPort})`);
  if (problems.length > 0) throw new WaveError(400, 'invalid_rtmp_config', problems);
  return candidate;
}
