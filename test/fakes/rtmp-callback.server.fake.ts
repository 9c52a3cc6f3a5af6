import { Injectable } from '@nestjs/common';
import { callbackBaseUrl, RtmpCallbackServer } from '../../src/rtmp/rtmp-callback.server.js';
import { AppConfig } from '../../src/config/app-config.js';
import { DockerRepository } from '../../src/repositories/docker.repository.js';
import { RtmpPublishAuthService } from '../../src/rtmp/rtmp-publish-auth.service.js';

/**
 * The publish-callback listener without its HTTP server, for unit specs (which bind no port): it names the
 * callback URL as the real one does, and the spec calls RtmpPublishAuthService.decide as nginx's POST would.
 * Its HTTP side is covered by test/medium/rtmp-callback.server.spec.ts.
 */
@Injectable()
export class UnboundRtmpCallbackServer extends RtmpCallbackServer {
  /** How many times the service asked for the listener (each ingest start does). */
  ensured = 0;

  constructor(
    private readonly settings: AppConfig,
    docker: DockerRepository,
    auth: RtmpPublishAuthService,
  ) {
    super(settings, docker, auth);
  }

  override ensureListening(): Promise<string> {
    this.ensured += 1;
    return Promise.resolve(callbackBaseUrl(this.settings.rtmpCallbackPort));
  }

  override onModuleDestroy(): Promise<void> {
    return Promise.resolve();
  }
}
