// --codes-cache FILE: the last table the API gave, so that a start-up with the API unreachable still has the
// platform's latest codes, and a restart can ask conditionally (If-None-Match / If-Modified-Since) instead
// of downloading the table again. The file holds the parsed table, never a header (a key). It is written
// whole to a temporary file in the same directory, flushed to disk and renamed over the old one: a reader,
// or a crash, sees the old cache or the new one, never half of one.
import { randomBytes } from 'node:crypto';
import { open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { CodeEntry } from './builtin.js';
import { CodeTableError } from './errors.js';
import { codeEntries } from './load.js';

const FORMAT = 'errcode-stream code table cache';
const VERSION = 1;

export interface CachedTable {
  /** The --codes-url the table came from; a cache of another URL is not used. */
  readonly url: string;
  readonly entries: readonly CodeEntry[];
  readonly etag: string | undefined;
  readonly lastModified: string | undefined;
  /** When the API last sent this table (HTTP 200), in ms since the epoch. */
  readonly fetchedMs: number;
  /** When the API last sent or confirmed it (200 or 304): how fresh the table is. */
  readonly confirmedMs: number;
}

function time(doc: Record<string, unknown>, key: string, source: string): number {
  const ms = typeof doc[key] === 'string' ? Date.parse(doc[key]) : NaN;
  if (Number.isNaN(ms)) throw new CodeTableError(`${source}: ${key} is not a time`);
  return ms;
}

function optionalText(doc: Record<string, unknown>, key: string, source: string): string | undefined {
  const v = doc[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new CodeTableError(`${source}: ${key} is not a string`);
  return v;
}

/** The cache of `url`'s table; undefined when there is no cache file yet. An unusable file is a CodeTableError. */
export async function readCache(file: string, url: string): Promise<CachedTable | undefined> {
  const source = `--codes-cache ${file}`;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CodeTableError(`${source}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new CodeTableError(`${source}: not valid JSON (${(err as Error).message})`);
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new CodeTableError(`${source}: not a code table cache`);
  const o = doc as Record<string, unknown>;
  if (o['format'] !== FORMAT || o['version'] !== VERSION) throw new CodeTableError(`${source}: not a code table cache of version ${VERSION}`);
  if (o['url'] !== url) throw new CodeTableError(`${source}: holds the table of ${JSON.stringify(o['url'])}, not of --codes-url ${url}`);
  return {
    url,
    entries: codeEntries(o['codes'], source),
    etag: optionalText(o, 'etag', source),
    lastModified: optionalText(o, 'last_modified', source),
    fetchedMs: time(o, 'fetched_at', source),
    confirmedMs: time(o, 'confirmed_at', source),
  };
}

/** Replaces the cache file atomically; a CodeTableError when it cannot be written. */
export async function writeCache(file: string, table: CachedTable): Promise<void> {
  const doc = {
    format: FORMAT,
    version: VERSION,
    url: table.url,
    fetched_at: new Date(table.fetchedMs).toISOString(),
    confirmed_at: new Date(table.confirmedMs).toISOString(),
    etag: table.etag,
    last_modified: table.lastModified,
    codes: table.entries,
  };
  const temp = join(dirname(file), `.${basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const handle = await open(temp, 'wx');
    try {
      await handle.writeFile(JSON.stringify(doc, null, 2) + '\n');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  } catch (err) {
    await rm(temp, { force: true });
    throw new CodeTableError(`--codes-cache ${file}: cannot be written (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}
