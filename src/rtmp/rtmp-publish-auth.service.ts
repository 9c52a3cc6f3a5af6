import { Injectable, Logger } from '@nestjs/common';
import { tokensMatch } from '../auth/api-token.guard.js';
import { maskSecret } from '../common/redaction.js';
import { DockerRepository } from '../repositories/docker.repository.js';
import { WaveEvents } from '../bus/wave-events.js';
import { RtmpIngestKeys, secretHash } from './ingest-keys.js';
import { RtmpConfigService } from './rtmp-config.service.js';
import { CALLBACK_SECRET_LABEL, RTMP_LABELS } from './rtmp.constants.js';

export type PublishCallback = 'publish' | 'publish-done';

export function callbackSecretHash(secret: string): string {
  return secretHash(secret);
}

/** What nginx is answered: refused (403), or let through, under another stream name for a publish (a 302 renames it). */
export interface PublishDecision {
  allow: boolean;
  /** The name nginx-rtmp publishes the stream under instead of the key. */
  renameTo?: string;
}

/**
 * The configured key a stream name stands for: the key itself (what a publisher sends, and the name of a
 * stream that went live before Wave renamed streams), or its publisherId (what nginx reports once renamed).
 */
export function keyOfStreamName(name: string, streamKeys: string[], keys: RtmpIngestKeys): string | undefined {
  return streamKeys.find((k) => tokensMatch(name, k)) ?? streamKeys.find((k) => keys.publisherIdOf(k) === name);
}

/**
 * Decides nginx-rtmp's `on_publish` / `on_publish_done` callbacks. A callback counts only when its URL
 * carries the secret of a running ingest (its hash is on the container's label); a publisher goes on
 * air only with the configured application and one of the configured stream keys, and nginx is told to
 * rename the stream to the key's publisherId, so the key is nowhere in nginx after the callback: not in
 * /stat, HLS names, or the URL a relay decoder is started with.
 */
@Injectable()
export class RtmpPublishAuthService {
  private readonly logger = new Logger(RtmpPublishAuthService.name);

  constructor(
    private readonly docker: DockerRepository,
    private readonly configs: RtmpConfigService,
    private readonly events: WaveEvents,
    private readonly keys: RtmpIngestKeys,
  ) {}

  async decide(secret: string, callback: PublishCallback, form: URLSearchParams): Promise<PublishDecision> {
    const hash = callbackSecretHash(secret);
    const ingests = await this.docker.listContainers(RTMP_LABELS);
    if (!ingests.some((c) => c.labels[CALLBACK_SECRET_LABEL] && tokensMatch(hash, c.labels[CALLBACK_SECRET_LABEL]))) {
      this.logger.warn(`Refused a ${callback} callback that does not carry the ingest's secret`);
      return { allow: false };
    }
    await this.keys.load();
    const config = await this.configs.read();
    const application = form.get('app') ?? '';
    const name = form.get('name') ?? '';
    const key = keyOfStreamName(name, config.streamKeys, this.keys);
    const payload = {
      application,
      stream: maskSecret(key ?? name) ?? '',
      publisherId: key ? this.keys.publisherIdOf(key) : name,
      clientAddress: form.get('addr') ?? undefined,
      at: new Date().toISOString(),
    };
    if (callback === 'publish-done') {
      this.logger.log(`Publisher left the air: ${application}/${payload.stream}`);
      this.events.emit('rtmp.publish.stopped', payload);
      return { allow: true };
    }
    // The key itself, never its publisherId: the id is no secret, so it must not be a way on air.
    const allowed = application === config.application && config.streamKeys.some((k) => tokensMatch(name, k));
    if (!allowed || !key) {
      this.logger.warn(`Refused a publisher: ${application}/${payload.stream} is not a configured application and stream key`);
      return { allow: false };
    }
    this.logger.log(`Publisher on air: ${application}/${payload.stream}`);
    this.events.emit('rtmp.publish.started', payload);
    return { allow: true, renameTo: payload.publisherId };
  }
}
