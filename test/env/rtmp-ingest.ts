import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { connect } from 'node:net';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { hasCommand } from './host.js';
import { freePort } from './ports.js';
import { waitUntil } from './wait.js';

const NGINX = '/usr/sbin/nginx';
const RTMP_MODULE = '/usr/lib/nginx/modules/ngx_rtmp_module.so';

export interface IngestClient {
  id: number;
  address: string;
  /** ms since the client connected. */
  time: number;
  publishing: boolean;
  /** The client's current stream timestamp (ms). */
  timestamp: number;
}

export interface IngestStream {
  app: string;
  name: string;
  /** ms since the stream started (nginx-rtmp's `time`). */
  time: number;
  bytesIn: number;
  videoCodec?: string;
  audioCodec?: string;
  audioSampleRate?: number;
  audioChannels?: number;
  clients: IngestClient[];
}

export interface IngestStat {
  naccepted: number;
  streams: IngestStream[];
}

/** The one stream key the ingest's `k` application accepts (it checks keys with on_publish, as a platform does). */
export const KEYED_APP_KEY = 'the-right-key';

export interface RtmpIngest {
  rtmpPort: number;
  tlsPort: number;
  httpPort: number;
  /** `rtmps://127.0.0.1:<tls>/s/` — Telegram-like server URL (append the stream key). */
  rtmpsServerUrl: string;
  /** `rtmp://127.0.0.1:<rtmp>/<app>/` on the plain port. */
  rtmpUrl(app?: string): string;
  statXml(): Promise<string>;
  stat(): Promise<IngestStat>;
  /** Streams with a publishing client, with that client's id. */
  publishers(app?: string): Promise<Array<IngestStream & { publisher: IngestClient }>>;
  /** Stops the TLS terminator (open sessions drop, new ones are refused): the ingest is down. */
  stopTls(): Promise<void>;
  /** Starts it again on the same port. */
  startTls(): Promise<void>;
  stop(): Promise<void>;
}

/** Nothing to start here without the host's nginx + rtmp module, socat and openssl: fail loudly. */
function requireTools(): void {
  const missing = [
    !existsSync(NGINX) && `${NGINX} (apt-get install nginx)`,
    !existsSync(RTMP_MODULE) && `${RTMP_MODULE} (apt-get install libnginx-mod-rtmp)`,
    !hasCommand('socat') && 'socat (apt-get install socat)',
    !hasCommand('openssl') && 'openssl',
  ].filter(Boolean);
  if (missing.length > 0) throw new Error(`the local RTMPS ingest needs: ${missing.join(', ')}`);
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** The parts of nginx-rtmp's `/stat` XML read here, as fast-xml-parser returns them. */
interface StatXml {
  rtmp?: {
    naccepted?: number;
    server?: Array<{
      application?: Array<{
        name: string;
        live?: {
          stream?: Array<{
            name: string | number;
            time?: number;
            bytes_in?: number;
            meta?: { video?: { codec?: string }; audio?: { codec?: string; sample_rate?: number; channels?: number } };
            client?: Array<{ id: number; address: string; time?: number; timestamp?: number; publishing?: unknown }>;
          }>;
        };
      }>;
    }>;
  };
}

/** Parses nginx-rtmp's `/stat` XML. */
export function parseStat(xml: string): IngestStat {
  const parser = new XMLParser({
    ignoreAttributes: true,
    parseTagValue: true,
    isArray: (name) => ['server', 'application', 'stream', 'client'].includes(name),
  });
  const root = (parser.parse(xml) as StatXml).rtmp ?? {};
  const streams: IngestStream[] = [];
  for (const server of root.server ?? []) {
    for (const application of server.application ?? []) {
      for (const stream of application.live?.stream ?? []) {
        streams.push({
          app: String(application.name),
          name: String(stream.name),
          time: Number(stream.time ?? 0),
          bytesIn: Number(stream.bytes_in ?? 0),
          videoCodec: stream.meta?.video?.codec,
          audioCodec: stream.meta?.audio?.codec,
          audioSampleRate: stream.meta?.audio?.sample_rate,
          audioChannels: stream.meta?.audio?.channels,
          clients: (stream.client ?? []).map((c) => ({
            id: Number(c.id),
            address: String(c.address),
            time: Number(c.time ?? 0),
            // <publishing/> parses to an empty string.
            publishing: c.publishing !== undefined,
            timestamp: Number(c.timestamp ?? 0),
          })),
        });
      }
    }
  }
  return { naccepted: Number(root.naccepted ?? 0), streams };
}

/**
 * A Telegram-like RTMPS ingest on loopback: the host's nginx with the rtmp module (applications `s` for
 * the Telegram side and `live` for a DJ) and `/stat`, behind socat terminating TLS with a self-signed
 * certificate. Free ports; everything lives in a temp dir removed by stop().
 */
export async function startRtmpIngest(): Promise<RtmpIngest> {
  requireTools();
  const dir = await mkdtemp(join(tmpdir(), 'wave-ingest-'));
  const [rtmpPort, tlsPort, httpPort] = [await freePort(), await freePort(), await freePort()];
  const conf = join(dir, 'nginx.conf');
  await writeFile(
    conf,
    `load_module ${RTMP_MODULE};
daemon off;
master_process on;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 256; }
rtmp {
  server {
    listen 127.0.0.1:${rtmpPort};
    application s { live on; }
    application live { live on; wait_video off; }
    # Checks the key as a platform does: only the key KEYED_APP_KEY names may publish (nginx refuses the rest).
    application k { live on; notify_method get; on_publish http://127.0.0.1:${httpPort}/auth; }
  }
}
http {
  access_log off;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  server {
    listen 127.0.0.1:${httpPort};
    location /stat { rtmp_stat all; }
    location /auth { if ($arg_name = "${KEYED_APP_KEY}") { return 204; } return 403; }
  }
}
`,
  );
  const pem = join(dir, 'both.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
    ],
    { stdio: 'ignore' },
  );
  execFileSync('sh', ['-c', `cat "${dir}/cert.pem" "${dir}/key.pem" > "${pem}"`]);

  let nginxOutput = '';
  const nginx = spawn(NGINX, ['-p', dir, '-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  nginx.stdout.on('data', (d: Buffer) => (nginxOutput += d.toString()));
  nginx.stderr.on('data', (d: Buffer) => (nginxOutput += d.toString()));
  const statUrl = `http://127.0.0.1:${httpPort}/stat`;
  const statXml = async () => {
    const response = await fetch(statUrl);
    if (!response.ok) throw new Error(`/stat answered ${response.status}`);
    return response.text();
  };
  try {
    await waitUntil(
      async () => {
        if (nginx.exitCode !== null) throw new Error(`nginx exited: ${nginxOutput}`);
        return (await statXml()).includes('<rtmp>');
      },
      10_000,
      'nginx /stat',
    );
  } catch (error) {
    nginx.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
    throw error;
  }

  let socat: ChildProcess | null = null;
  const startTls = async () => {
    // Own process group: the children socat forks per connection go down with it.
    socat = spawn('socat', [`OPENSSL-LISTEN:${tlsPort},bind=127.0.0.1,reuseaddr,fork,cert=${pem},verify=0`, `TCP:127.0.0.1:${rtmpPort}`], {
      stdio: 'ignore',
      detached: true,
    });
    const child = socat;
    await waitUntil(
      async () => {
        if (child.exitCode !== null) throw new Error('socat exited at start');
        return canConnect(tlsPort);
      },
      5000,
      'socat TLS listener',
    );
  };
  const stopTls = async () => {
    const child = socat;
    socat = null;
    if (!child || child.exitCode !== null) return;
    const done = exited(child);
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      child.kill('SIGKILL');
    }
    await done;
  };
  await startTls();

  const ingest: RtmpIngest = {
    rtmpPort,
    tlsPort,
    httpPort,
    rtmpsServerUrl: `rtmps://127.0.0.1:${tlsPort}/s/`,
    rtmpUrl: (app = 's') => `rtmp://127.0.0.1:${rtmpPort}/${app}/`,
    statXml,
    stat: async () => parseStat(await statXml()),
    publishers: async (app) => {
      const { streams } = parseStat(await statXml());
      return streams
        .filter((s) => app === undefined || s.app === app)
        .flatMap((s) => s.clients.filter((c) => c.publishing).map((publisher) => ({ ...s, publisher })));
    },
    stopTls,
    startTls,
    stop: async () => {
      await stopTls();
      const done = exited(nginx);
      nginx.kill('SIGTERM');
      const timer = setTimeout(() => nginx.kill('SIGKILL'), 3000);
      await done;
      clearTimeout(timer);
      await rm(dir, { recursive: true, force: true });
    },
  };
  return ingest;
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
