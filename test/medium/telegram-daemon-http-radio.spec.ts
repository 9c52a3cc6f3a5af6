import { createServer as createHttpServer, type RequestListener, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { OutboundPolicy, OutboundRefusedError } from '../../src/common/outbound-policy.js';
import { openRadio, RadioError } from '../../src/telegram/daemon/http-radio.js';

const servers: Array<{ close(cb: () => void): void }> = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await new Promise<void>((resolve) => server.close(() => resolve()));
});

async function http(host: string, handler: RequestListener): Promise<{ port: number; server: Server }> {
  const server = createHttpServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return { port: (server.address() as AddressInfo).port, server };
}

async function read(body: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of body) text += chunk.toString();
  return text;
}

const loopback = OutboundPolicy.parse('127.0.0.0/8');

/** The daemon's radio fetcher over real loopback HTTP servers (a medium spec: it binds ports). */
describe('openRadio', () => {
  it('sends the URL credentials as a Basic header and the query in the request, and reads a chunked body', async () => {
    let seen: { authorization?: string; url?: string } = {};
    const { port } = await http('127.0.0.1', (req, res) => {
      seen = { authorization: req.headers.authorization, url: req.url };
      res.writeHead(200, { 'content-type': 'audio/mpeg' }); // Node's server answers chunked
      res.write('ID3');
      res.end('audio');
    });
    const radio = await openRadio(`http://dj:p%40ss@127.0.0.1:${port}/live.mp3?token=t0k`, { policy: loopback });
    expect(await read(radio.body)).toBe('ID3audio');
    expect(seen).toEqual({ authorization: `Basic ${Buffer.from('dj:p@ss').toString('base64')}`, url: '/live.mp3?token=t0k' });
    expect(radio.finalUrl).toBe(`http://127.0.0.1:${port}/live.mp3`);
  });

  it("reads Shoutcast's ICY 200 OK", async () => {
    const server = createTcpServer((socket) =>
      socket.once('data', () => socket.end('ICY 200 OK\r\ncontent-type: audio/mpeg\r\n\r\nMP3DATA')),
    );
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const radio = await openRadio(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, { policy: loopback });
    expect(await read(radio.body)).toBe('MP3DATA');
  });

  it('follows a redirect only after checking its target, and drops the credentials on another origin', async () => {
    const hits: Array<string | undefined> = [];
    const target = await http('127.0.0.2', (req, res) => {
      hits.push(req.headers.authorization);
      res.writeHead(200, { 'content-type': 'audio/aac' }).end('ok');
    });
    const first = await http('127.0.0.1', (_req, res) => res.writeHead(302, { location: `http://127.0.0.2:${target.port}/next` }).end());
    const allowed = await openRadio(`http://u:p@127.0.0.1:${first.port}/`, { policy: loopback });
    expect(await read(allowed.body)).toBe('ok');
    expect(hits).toEqual([undefined]);

    const strict = OutboundPolicy.parse('127.0.0.1');
    const refused = await openRadio(`http://127.0.0.1:${first.port}/`, { policy: strict }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(OutboundRefusedError);
    expect((refused as Error).message).toContain('127.0.0.2, a loopback address');
    expect(hits).toHaveLength(1);
  });

  it('refuses a private target before connecting, too many redirects, other schemes, errors and playlists', async () => {
    const none = OutboundPolicy.parse('');
    await expect(openRadio('http://127.0.0.1:1/', { policy: none })).rejects.toMatchObject({ code: 'outbound_refused' });
    await expect(openRadio('http://localhost:1/', { policy: none })).rejects.toMatchObject({ code: 'outbound_refused' });
    const loop = await http('127.0.0.1', (req, res) => res.writeHead(301, { location: req.url + 'x' }).end());
    await expect(openRadio(`http://127.0.0.1:${loop.port}/`, { policy: loopback })).rejects.toThrow('more than 5 redirects');
    const file = await http('127.0.0.1', (_req, res) => res.writeHead(302, { location: 'file:///etc/passwd' }).end());
    await expect(openRadio(`http://127.0.0.1:${file.port}/`, { policy: loopback })).rejects.toThrow('a redirect to a file: URL');
    const missing = await http('127.0.0.1', (_req, res) => res.writeHead(404).end());
    await expect(openRadio(`http://127.0.0.1:${missing.port}/`, { policy: loopback })).rejects.toThrow('HTTP 404');
    const playlist = await http('127.0.0.1', (_req, res) =>
      res.writeHead(200, { 'content-type': 'application/vnd.apple.mpegurl' }).end('#EXTM3U'),
    );
    await expect(openRadio(`http://127.0.0.1:${playlist.port}/`, { policy: loopback })).rejects.toBeInstanceOf(RadioError);
  });
});
