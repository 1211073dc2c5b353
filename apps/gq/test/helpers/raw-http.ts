import { request, type IncomingHttpHeaders } from 'node:http';

/** An answer read whole. */
export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** The body parsed as JSON (throws when it is not JSON). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a JSON answer of any shape
  json(): any;
}

/** What {@link rawRequest} sends. */
export interface RawRequest {
  /** @defaultValue `'GET'` */
  method?: string;
  /** Sent as given, `Host` included (fetch would replace it); nothing is added but framing. */
  headers?: Record<string, string>;
  /** Sent with a `Content-Length`; no `Content-Type` is added. */
  body?: string;
}

/**
 * Sends one HTTP request to `url` with exactly the headers given, as a browser page, a DNS
 * rebinding attack or an old client would: unlike `fetch`, it can set `Host`, and it adds no
 * `Content-Type` to a string body.
 */
export function rawRequest(url: string, init: RawRequest = {}): Promise<RawResponse> {
  const target = new URL(url);
  const headers: Record<string, string> = { ...init.headers };
  if (init.body !== undefined) headers['content-length'] = String(Buffer.byteLength(init.body));
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: target.hostname,
        port: target.port,
        path: `${target.pathname}${target.search}`,
        method: init.method ?? 'GET',
        headers,
        agent: false,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text,
            json: () => JSON.parse(text) as unknown,
          });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(init.body);
  });
}
