import { Injectable, Logger } from '@nestjs/common';
import { tokensMatch } from '../common/api-token.guard.js';
import { maskSecret } from '../common/redaction.js';
import { DockerRepository } from '../repositories/docker.repository.js';
import { WaveEvents } from '../events/wave-events.js';
import { publisherIdOf } from './publisher-id.js';
import { RtmpConfigService } from './rtmp-config.service.js';
import { CALLBACK_SECRET_LABEL, RTMP_LABELS } from './rtmp.constants.js';
import { createHash } from 'node:crypto';

export type PublishCallback = 'publish' | 'publish-done';

export function callbackSecretHash(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/**
 * Decides nginx-rtmp's `on_publish` / `on_publish_done` callbacks. A callback counts only when its URL
 * carries the secret of a running ingest (its hash is on the container's label); a publisher goes on
 * air only with the configured application and one of the configured stream keys.
 */
@Injectable()
export class RtmpPublishAuthService {
  private readonly logger = new Logger(RtmpPublishAuthService.name);

  constructor(
    private readonly docker: DockerRepository,
    private readonly configs: RtmpConfigService,
    private readonly events: WaveEvents,
  ) {}

  /** True when nginx should let the call through (2xx), false for 403. */
  async decide(secret: string, callback: PublishCallback, form: URLSearchParams): Promise<boolean> {
    const hash = callbackSecretHash(secret);
    const ingests = await this.docker.listContainers(RTMP_LABELS);
    if (!ingests.some((c) => c.labels[CALLBACK_SECRET_LABEL] && tokensMatch(hash, c.labels[CALLBACK_SECRET_LABEL]))) {
      this.logger.warn(`Refused a ${callback} callback that does not carry the ingest's secret`);
      return false;
    }
    const application = form.get('app') ?? '';
    const key = form.get('name') ?? '';
    const payload = { application, stream: maskSecret(key) ?? '', publisherId: publisherIdOf(key), clientAddress: form.get('addr') ?? undefined, at: new Date().toISOString() };
    if (callback === 'publish-done') {
      this.logger.log(`Publisher left the air: ${application}/${payload.stream}`);
      this.events.emit('rtmp.publish.stopped', payload);
      return true;
    }
    const config = await this.configs.read();
    const allowed = application === config.application && config.streamKeys.some((k) => tokensMatch(key, k));
    if (!allowed) {
      this.logger.warn(`Refused a publisher: ${application}/${payload.stream} is not a configured application and stream key`);
      return false;
    }
    this.logger.log(`Publisher on air: ${application}/${payload.stream}`);
    this.events.emit('rtmp.publish.started', payload);
    return true;
  }
}
