import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { platform } from 'node:os';

/** Ports this process has handed out: the OS may give the same one twice in a row, and two callers asking
 * one after the other (PORT, then SOCKET_PORT) must not be told the same port. */
const handedOut = new Set<number>();

/**
 * A TCP port free on every address right now (the OS picks it), never one this process handed out before.
 * Every address, not 127.0.0.1 alone: Docker publishes the ingest's ports on 0.0.0.0, which fails on a port
 * another Wave holds on the bridge address.
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await osPickedPort();
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

function osPickedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '0.0.0.0', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** True when nothing holds 127.0.0.1:port: we can listen on it ourselves (and let it go at once). */
export function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * True when something listens on `port` (IPv4), read from the kernel's socket table without touching
 * the port (a probe connection would be the one client of a server that serves one, like `ffmpeg -listen 1`).
 */
export async function isListening(port: number): Promise<boolean> {
  if (platform() !== 'linux') return !(await isPortFree(port));
  const table = await readFile('/proc/net/tcp', 'utf8');
  const suffix = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  // Columns: sl, local_address, rem_address, st (0A = LISTEN), …
  return table.split('\n').some((line) => {
    const [, local, , state] = line.trim().split(/\s+/);
    return state === '0A' && local?.endsWith(suffix) === true;
  });
}
