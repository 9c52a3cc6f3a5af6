/** Labels on every container Wave runs for the ingest; Wave never touches a container without them. */
export const RTMP_LABELS = { 'wave.managed': 'true', 'wave.component': 'rtmp' } as const;
/** Throwaway `nginx -t` containers: Wave's, but not the ingest. */
export const RTMP_CHECK_LABELS = { 'wave.managed': 'true', 'wave.component': 'rtmp-config-check' } as const;
/** sha256 of the ingest's callback secret; the secret itself lives only in the container's nginx.conf. */
export const CALLBACK_SECRET_LABEL = 'wave.rtmp.callback-sha256';
/** A random nonce: the container's secret is derived from it and Wave's key in DATA_DIR (see ingest-keys.ts). */
export const INGEST_NONCE_LABEL = 'wave.rtmp.nonce';
/** The container's nginx HTTP port (/stat), as it was started. */
export const HTTP_PORT_LABEL = 'wave.rtmp.http-port';
/** How the container reaches the host (`--add-host=host.docker.internal:host-gateway`). */
export const CONTAINER_HOST_ALIAS = 'host.docker.internal';
export const NGINX_BIN = '/usr/sbin/nginx';
export const NGINX_CONFIG_PATH = '/etc/nginx/nginx.conf';
export const RTMP_IMAGE_COMMAND = 'npm run rtmp:image';
