// --codes-url: the code table from the platform's API. One exchange sends the configured headers (a key),
// asks conditionally (If-None-Match / If-Modified-Since) when a table is already known, and holds the
// answer to limits, so that a broken or hostile server costs a clear one-line reason and nothing else:
// the whole exchange within the timeout, at most MAX_REDIRECTS redirects (a loop is named as one), at most
// MAX_BODY_BYTES of body, counted while it streams in (a 50 MB answer is cut at 10 MiB, never buffered).
import { TextDecoder } from 'node:util';
import type { CodeEntry } from './builtin.js';
import { failedAnswer, isEnvelope, type Describe } from './envelope.js';
import { CodeTableError } from './errors.js';
import { parseCodes } from './load.js';

/** A code table is a few KiB; 10 MiB leaves room for a platform with a great many codes. */
export const MAX_BODY_BYTES = 10 * 1024 * 1024;
/** Enough for an http -> https hop and a moved API; more is a misconfiguration. */
export const MAX_REDIRECTS = 5;
/** Of a non-2xx answer only this much is read, to find the platform's code in its envelope. */
const ERROR_BODY_BYTES = 64 * 1024;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export interface RequestHeader {
  readonly name: string;
  /** May be a key: never written to a message or a log. */
  readonly value: string;
}

export interface ApiRequest {
  readonly url: string;
  readonly headers: readonly RequestHeader[];
  readonly timeoutMs: number;
}

/** What a conditional request needs of the table already known. */
export interface Validators {
  readonly etag?: string | undefined;
  readonly lastModified?: string | undefined;
}

export type ApiAnswer =
  | { readonly status: 'table'; readonly entries: CodeEntry[]; readonly validators: Validators }
  | { readonly status: 'not_modified' };

/** `10s`, `1m30s`, `500ms`: the timeout as the flag writes it. */
function duration(ms: number): string {
  if (ms % 1000 !== 0) return `${ms}ms`;
  const s = ms / 1000;
  const parts = [[Math.floor(s / 3600), 'h'], [Math.floor((s % 3600) / 60), 'm'], [s % 60, 's']] as const;
  return parts.filter(([n]) => n > 0).map(([n, unit]) => `${n}${unit}`).join('');
}

const inUnits = (bytes: number): string => (bytes >= 1 << 20 ? `${bytes / (1 << 20)} MiB` : `${bytes / 1024} KiB`);

/** The body as text, at most `limit` bytes of it, in the charset the answer declares (UTF-8 by default). */
async function readBody(res: Response, source: string, limit: number): Promise<string> {
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > limit) {
    await res.body?.cancel();
    throw new CodeTableError(`${source}: the answer is ${declared} bytes, over the limit of ${limit} bytes (${inUnits(limit)})`);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (res.body) {
    const reader = res.body.getReader();
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      size += r.value.byteLength;
      if (size > limit) {
        await reader.cancel();
        throw new CodeTableError(`${source}: the answer goes on past the limit of ${limit} bytes (${inUnits(limit)})`);
      }
      chunks.push(r.value);
    }
  }
  const charset = /;\s*charset="?([^";\s]+)"?/i.exec(res.headers.get('content-type') ?? '')?.[1] ?? 'utf-8';
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(charset, { fatal: true });
  } catch {
    throw new CodeTableError(`${source}: the answer is in charset ${JSON.stringify(charset)}, which is unknown`);
  }
  try {
    return decoder.decode(Buffer.concat(chunks));
  } catch {
    throw new CodeTableError(`${source}: the answer is not valid ${charset}`);
  }
}

/** `HTTP 401 Unauthorized`, and the platform's code when the body is its envelope. */
async function statusFailure(res: Response, source: string, describe: Describe): Promise<string> {
  const status = `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`;
  try {
    const doc: unknown = JSON.parse(await readBody(res, source, ERROR_BODY_BYTES));
    const failed = doc !== null && typeof doc === 'object' && isEnvelope(doc) ? failedAnswer(doc, source, describe) : undefined;
    if (failed !== undefined) return `${source}: ${status}; the API answered code ${failed}`;
  } catch {
    // Not an envelope (HTML, too long, not JSON): the status says enough.
  }
  return `${source}: ${status}`;
}

/** One request of the exchange; the configured headers go only to the URL's own origin. */
function send(req: ApiRequest, url: URL, validators: Validators | undefined, signal: AbortSignal): Promise<Response> {
  const headers = new Headers({ 'user-agent': 'errcode-stream', accept: 'application/json, text/markdown;q=0.9, */*;q=0.5' });
  if (url.origin === new URL(req.url).origin) for (const h of req.headers) headers.append(h.name, h.value);
  if (validators?.etag) headers.set('if-none-match', validators.etag);
  if (validators?.lastModified) headers.set('if-modified-since', validators.lastModified);
  return fetch(url, { headers, redirect: 'manual', signal });
}

async function exchange(req: ApiRequest, known: Validators | undefined, describe: Describe, signal: AbortSignal): Promise<ApiAnswer> {
  const source = `--codes-url ${req.url}`;
  const validators = known?.etag || known?.lastModified ? known : undefined;
  let url = new URL(req.url);
  const visited = [url.href];
  for (;;) {
    const res = await send(req, url, validators, signal);
    if (REDIRECTS.has(res.status)) {
      await res.body?.cancel();
      const location = res.headers.get('location');
      if (!location) throw new CodeTableError(`${source}: HTTP ${res.status} without a Location to follow`);
      const next = new URL(location, url);
      if (next.protocol !== 'http:' && next.protocol !== 'https:') throw new CodeTableError(`${source}: redirected to ${next.href}, not an http or https URL`);
      if (visited.includes(next.href)) throw new CodeTableError(`${source}: redirect loop (${[...visited, next.href].join(' -> ')})`);
      if (visited.length > MAX_REDIRECTS) throw new CodeTableError(`${source}: more than ${MAX_REDIRECTS} redirects (last to ${next.href})`);
      visited.push(next.href);
      url = next;
      continue;
    }
    if (res.status === 304) {
      await res.body?.cancel();
      if (!validators) throw new CodeTableError(`${source}: HTTP 304 Not Modified to a request that had no ETag or Last-Modified to compare`);
      return { status: 'not_modified' };
    }
    if (res.status < 200 || res.status > 299) throw new CodeTableError(await statusFailure(res, source, describe));
    const text = await readBody(res, source, MAX_BODY_BYTES);
    if (/html/i.test(res.headers.get('content-type') ?? '')) {
      throw new CodeTableError(`${source}: the answer is an HTML page (${res.headers.get('content-type')}), not a code table`);
    }
    const entries = parseCodes(text, source, { describe });
    // An empty table from an API is a glitch of the API, not news that the platform has no codes.
    if (entries.length === 0) throw new CodeTableError(`${source}: the answer is an empty code table`);
    return {
      status: 'table',
      entries,
      validators: { etag: res.headers.get('etag') ?? undefined, lastModified: res.headers.get('last-modified') ?? undefined },
    };
  }
}

/** A message with every configured header value (a key an API may echo back in its msg) blotted out. */
function redacted(message: string, headers: readonly RequestHeader[]): string {
  let out = message;
  for (const h of headers) if (h.value.length >= 4) out = out.replaceAll(h.value, '***');
  return out;
}

/**
 * Fetches the table at `req.url`. `known` are the validators of the table in force (a 304 then answers
 * 'not_modified'); `describe` names the codes of an envelope that is not 200. Every failure is a
 * CodeTableError whose one-line message names --codes-url and the URL.
 */
export async function fetchTable(req: ApiRequest, known: Validators | undefined, describe: Describe): Promise<ApiAnswer> {
  const source = `--codes-url ${req.url}`;
  const controller = new AbortController();
  // One deadline for the whole exchange: redirects, headers and body (a server that trickles its body
  // a byte a second would otherwise hold a reload for ever).
  const timer = setTimeout(() => controller.abort(), req.timeoutMs);
  try {
    return await exchange(req, known, describe, controller.signal);
  } catch (err) {
    if (controller.signal.aborted) throw new CodeTableError(`${source}: no complete answer within ${duration(req.timeoutMs)} (--codes-timeout)`);
    if (err instanceof CodeTableError) throw new CodeTableError(redacted(err.message, req.headers));
    // System errors say enough by their code (ECONNREFUSED, ENOTFOUND); undici's own codes do not.
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const reason = cause?.code?.startsWith('UND_ERR') ? `${cause.message} (${cause.code})` : (cause?.code ?? cause?.message ?? (err as Error).message);
    throw new CodeTableError(redacted(`${source}: ${reason}`, req.headers));
  } finally {
    clearTimeout(timer);
  }
}
