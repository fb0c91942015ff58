/**
 * A stand-in for the platform's error-code API: a real HTTP server on 127.0.0.1, on a free port, whose
 * answer the test sets (and changes while the CLI runs). Every request is recorded with its headers.
 *
 *     const api = await startCodesApi((req, res) => res.end(envelope([{ code: 5999, msg: '限流' }])));
 *     const res = await runCli(['codes', '--codes-url', api.url('/codes')]);
 *     api.handle((req, res) => { res.writeHead(500); res.end(); });
 *     await api.close();
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export interface Request {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
}

export interface CodesApi {
  /** `http://127.0.0.1:PORT` followed by `path`. */
  url(path?: string): string;
  /** Every request so far, oldest first. */
  readonly requests: Request[];
  /** Answers the next requests with `handler`. */
  handle(handler: Handler): void;
  /** Stops listening and drops open connections (a hanging answer included). */
  close(): Promise<void>;
}

/** The platform's envelope around `data`. */
export function envelope(data: unknown, code = 200, msg = code === 200 ? '成功' : '失败'): string {
  return JSON.stringify({ code, msg, data });
}

export async function startCodesApi(handler: Handler): Promise<CodesApi> {
  let current = handler;
  const requests: Request[] = [];
  const server = createServer((req, res) => {
    requests.push({ path: req.url ?? '', headers: req.headers });
    current(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: (path = '/codes') => base + path,
    requests,
    handle(h) {
      current = h;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A URL on 127.0.0.1 where nothing listens. */
export async function deadUrl(path = '/codes'): Promise<string> {
  const api = await startCodesApi(() => {});
  const url = api.url(path);
  await api.close();
  return url;
}

/** Polls `ready` every 50 ms until it holds; rejects with `what` after `timeoutMs`. */
export async function until(ready: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ready())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
