/** A response's JSON body, loosely typed for assertions (fetch's `json()` is `unknown`). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function json<T = any>(response: Response | Promise<Response>): Promise<T> {
  return (await (await response).json()) as T;
}

/** One JSON request to a server under test: its status and parsed body (undefined when empty). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function call<T = any>(
  server: { baseUrl: string },
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const res = await fetch(`${server.baseUrl}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}
