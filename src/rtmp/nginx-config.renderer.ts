import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RtmpConfigDocument } from './rtmp-config.document.js';

/** docker/rtmp/nginx.conf.template, found from src/rtmp (tests) and dist/rtmp (built server) alike. */
export const NGINX_TEMPLATE_PATH = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'docker', 'rtmp', 'nginx.conf.template');

/**
 * The nginx.conf for a validated config, from `template` (the text of NGINX_TEMPLATE_PATH). `callbackUrl` is where nginx asks Wave whether a publisher
 * may go on air (`<callbackUrl>/publish`, `<callbackUrl>/publish-done`); it carries the ingest's secret,
 * which /stat also asks for (`Authorization: Bearer <secret>`).
 */
export function renderNginxConfig(template: string, config: RtmpConfigDocument, callbackUrl: string, secret: string): string {
  if (!/^[A-Za-z0-9_-]{16,128}$/.test(secret)) throw new Error('the ingest secret must be 16-128 URL-safe characters');
  const values: Record<string, string> = {
    RTMP_PORT: String(config.rtmpPort),
    HTTP_PORT: String(config.httpPort),
    APPLICATION: config.application,
    MAX_CONNECTIONS: String(config.maxConnections),
    PUBLISH_AUTH: [
      `            on_publish ${callbackUrl}/publish;`,
      `            on_publish_done ${callbackUrl}/publish-done;`,
      '            notify_method post;',
    ].join('\n'),
    STAT_AUTH: [`            if ($http_authorization != "Bearer ${secret}") {`, '                return 403;', '            }'].join('\n'),
    HLS: config.hlsEnabled
      ? [
          '            hls on;',
          '            hls_path /tmp/hls;',
          `            hls_fragment ${config.hlsFragmentSeconds}s;`,
          `            hls_playlist_length ${config.hlsFragmentSeconds * 4}s;`,
        ].join('\n')
      : '            hls off;',
  };
  return template.replace(/\{\{([A-Z_]+)\}\}/g, (placeholder, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`nginx.conf.template has an unknown placeholder ${placeholder}`);
    return value;
  });
}
