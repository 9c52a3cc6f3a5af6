import {
  type NginxStatRepository,
  type NginxStatTarget,
  NginxStatTimeoutError,
  NginxStatUnavailableError,
} from '../../src/repositories/nginx-stat.repository.js';

/** A stream publishing to a fake nginx: since when (ms since epoch), and its inbound bitrate. */
export interface FakeStream {
  since: number;
  bitrateIn?: number;
  /** nginx's client id of the publishing connection (default: its place in the list, from 1). */
  clientId?: number;
}

/** One nginx-rtmp serving /stat on a port: its application and the streams publishing to it, by name. */
export class FakeNginx {
  constructor(
    readonly application: string,
    /** The bearer secret its /stat asks for; null: an open /stat. */
    readonly secret: string | null,
    /** Who publishes, by stream name. */
    readonly streams = new Map<string, FakeStream>(),
  ) {}

  /** A publisher goes live under `name` (nginx's stream name: a publisherId, or a key). */
  publish(name: string, since = Date.now(), bitrateIn = 128_000): void {
    this.streams.set(name, { since, bitrateIn });
  }

  unpublish(name: string): void {
    this.streams.delete(name);
  }

  /** The `rtmp_stat all` document nginx-rtmp would serve now. */
  xml(): string {
    const streams = [...this.streams].map(
      ([name, { since, bitrateIn, clientId }], i) =>
        `<stream><name>${name}</name><time>${Date.now() - since}</time><bw_in>${bitrateIn}</bw_in><nclients>1</nclients>` +
        `<client><id>${clientId ?? i + 1}</id><address>172.17.0.1</address><publishing/></client><publishing/></stream>`,
    );
    return (
      `<rtmp><nginx_version>1.22.1</nginx_version><uptime>1</uptime><naccepted>${this.streams.size}</naccepted><server><application>` +
      `<name>${this.application}</name><live>${streams.join('')}<nclients>${this.streams.size}</nclients></live></application></server></rtmp>`
    );
  }
}

/**
 * nginx-rtmp's /stat as RtmpService sees it, in memory: which port serves an nginx (`serve`, `close`), who
 * publishes to it, and the secret it asks for (a wrong one: `answered 403`, as the real one). Fails as the
 * repository does: 503 nginx_stat_unavailable where nothing serves, 504 nginx_stat_timeout while hung.
 */
export class FakeNginxStatRepository implements NginxStatRepository {
  /** The nginx serving each port (none: nothing listens there). */
  readonly servers = new Map<number, FakeNginx>();
  /** Every read, in order. */
  readonly reads: NginxStatTarget[] = [];
  /** Every read fails after this long, as a hung nginx's reads fail at the repository's bound; null: it answers. */
  hangMs: number | null = null;

  /**
   * An nginx serves /stat on `port` (asking for `secret` when given; with `streams`, those publish to it);
   * returns it, to publish to.
   */
  serve(port: number, options: { application?: string; secret?: string | null; streams?: Map<string, FakeStream> } = {}): FakeNginx {
    const nginx = new FakeNginx(options.application ?? 'live', options.secret ?? null, options.streams);
    this.servers.set(port, nginx);
    return nginx;
  }

  /** Nothing serves `port` any more (nginx stopped, the container went away). */
  close(port: number): void {
    this.servers.delete(port);
  }

  async read(target: NginxStatTarget): Promise<string> {
    this.reads.push({ ...target });
    const where = `http://${target.host}:${target.port}/stat`;
    await tick();
    if (this.hangMs !== null) {
      await sleep(this.hangMs);
      throw new NginxStatTimeoutError(where, this.hangMs);
    }
    const nginx = this.servers.get(target.port);
    if (!nginx) throw new NginxStatUnavailableError(where, 'does not answer: ECONNREFUSED');
    if (nginx.secret !== null && target.secret !== nginx.secret) throw new NginxStatUnavailableError(where, 'answered 403');
    return nginx.xml();
  }
}

/** The global timer (not node:timers/promises), so specs can fake it. */
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Answers on a later turn, as a real HTTP read does. */
const tick = () => new Promise((resolve) => setImmediate(resolve));
