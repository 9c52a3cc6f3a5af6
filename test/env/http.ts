/** A response's JSON body, loosely typed for assertions (fetch's `json()` is `unknown`). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function json<T = any>(response: Response | Promise<Response>): Promise<T> {
  return (await (await response).json()) as T;
}
