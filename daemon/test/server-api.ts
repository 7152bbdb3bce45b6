// The HTTP API as a test user sees it.

export async function call<T = any>(
  server: string,
  method: string,
  path: string,
  token?: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const res = await fetch(server + path, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, body: parsed as T };
}

/** Like `call`, but throws unless the status is 2xx. */
export async function ok<T = any>(
  server: string,
  method: string,
  path: string,
  token?: string,
  body?: unknown,
): Promise<T> {
  const res = await call<T>(server, method, path, token, body);
  if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

let counter = 0;
export async function signupUser(server: string) {
  const body = await ok(server, 'POST', '/api/auth/signup', undefined, {
    username: `u${process.pid}x${++counter}`,
    password: 'correct horse battery',
  });
  return { token: body.token as string, userId: body.user.id as string };
}
