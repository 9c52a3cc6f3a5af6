import { io, Socket } from 'socket.io-client';

/** Connects a socket.io client (websocket only) and resolves once connected; rejects with the server's refusal. */
export function connectSocket(url: string, options: { auth?: Record<string, unknown>; timeoutMs?: number } = {}): Promise<Socket> {
  const socket = io(url, {
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    auth: options.auth,
    timeout: options.timeoutMs ?? 5000,
  });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (error) => {
      socket.close();
      reject(error);
    });
  });
}

/** Like connectSocket, but also resolves the first `event` the server sends (listening from before the handshake). */
export async function connectWithFirst<T>(
  url: string,
  event: string,
  options: { auth?: Record<string, unknown> } = {},
): Promise<{ socket: Socket; first: T }> {
  const socket = io(url, { transports: ['websocket'], reconnection: false, forceNew: true, auth: options.auth });
  const first = nextEvent<T>(socket, event);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', (error) => {
      socket.close();
      reject(error);
    });
  });
  return { socket, first: await first };
}

/**
 * The next `event` on `socket` (with its first argument), or a clear timeout error. Tests start waiting
 * before they act; when an earlier step fails, the wait is never awaited, and its timeout must not then
 * count as a second, unhandled failure (awaiting it still rejects).
 */
export function nextEvent<T>(socket: Socket, event: string, timeoutMs = 5000, predicate: (payload: T) => boolean = () => true): Promise<T> {
  const next = new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off(event, listener);
      reject(new Error(`no '${event}' event within ${timeoutMs} ms`));
    }, timeoutMs);
    const listener = (payload: T) => {
      if (!predicate(payload)) return;
      clearTimeout(timer);
      socket.off(event, listener);
      resolve(payload);
    };
    socket.on(event, listener);
  });
  next.catch(() => {});
  return next;
}
