// The table in force: the built-in table, then every --codes file, then the API's last good table
// (--codes-url), later ones winning. CodeTableSource loads it at start-up (from --codes-cache when the API
// cannot give one), reloads it on SIGHUP and every --codes-refresh, keeps the previous table whenever a
// reload fails, and counts what happened for the errcode_code_table_* metrics.
import type { Config } from '../config.js';
import { fetchTable } from './api.js';
import { readCache, writeCache, type CachedTable } from './cache.js';
import { CodeTableError } from './errors.js';
import { loadCodesFile } from './load.js';
import { CodeTable } from './table.js';

export const RELOAD_RESULTS = ['success', 'failure', 'not_modified'] as const;
export type ReloadResult = (typeof RELOAD_RESULTS)[number];

export type TableConfig = Pick<Config, 'codes' | 'codesUrl' | 'codesUrlHeaders' | 'codesCache' | 'codesTimeoutMs'>;

export interface CodeTableStats {
  /** Codes in the table in force. */
  readonly codes: number;
  /** Reloads since start-up (SIGHUP, --codes-refresh), by result. */
  readonly reloads: Readonly<Record<ReloadResult, number>>;
  /** When the API last gave or confirmed the table (200 or 304), in seconds since the epoch; undefined without --codes-url. */
  readonly lastSuccessSec: number | undefined;
}

export interface Reload {
  readonly result: ReloadResult;
  /** The table in force after the reload: the previous one itself unless it changed. */
  readonly table: CodeTable;
  /** One line for the log. */
  readonly message: string;
}

function sameEntries(a: CodeTable, b: CodeTable): boolean {
  if (a.entries.length !== b.entries.length) return false;
  return a.entries.every((e, i) => {
    const f = b.entries[i]!;
    return e.code === f.code && e.category === f.category && e.description === f.description && e.description_en === f.description_en;
  });
}

export class CodeTableSource {
  private current = CodeTable.builtin();
  /** The API's last good table, with its validators for the next conditional request. */
  private api: CachedTable | undefined;
  private lastSuccessMs: number | undefined;
  private readonly reloads: Record<ReloadResult, number> = { success: 0, failure: 0, not_modified: 0 };
  private running: Promise<Reload> | undefined;
  private queued: Promise<Reload> | undefined;

  /** `warn` gets one line for each thing worth knowing that does not fail the load (a cache used, or not written). */
  constructor(
    private readonly config: TableConfig,
    private readonly warn: (line: string) => void,
  ) {}

  get table(): CodeTable {
    return this.current;
  }

  /** Whether the table comes partly from the API, and so can go stale. */
  get fromApi(): boolean {
    return this.config.codesUrl !== undefined;
  }

  stats(): CodeTableStats {
    return {
      codes: this.current.entries.length,
      reloads: { ...this.reloads },
      lastSuccessSec: this.lastSuccessMs === undefined ? undefined : this.lastSuccessMs / 1000,
    };
  }

  /** The table at start-up. A CodeTableError when it cannot be had (the caller exits 2). */
  async start(): Promise<CodeTable> {
    const base = await this.files();
    const url = this.config.codesUrl;
    if (url === undefined) return (this.current = base);
    const file = this.config.codesCache;
    let cached: CachedTable | undefined;
    if (file !== undefined) {
      try {
        cached = await readCache(file, url);
      } catch (err) {
        if (!(err instanceof CodeTableError)) throw err;
        this.warn(`${err.message}; not used`);
      }
    }
    try {
      this.api = (await this.fetch(url, base.extend(cached?.entries ?? []), cached)).table;
    } catch (err) {
      if (!(err instanceof CodeTableError) || cached === undefined) throw err;
      this.warn(`${err.message}; using the table in --codes-cache ${file} (${cached.entries.length} codes, from the API at ${new Date(cached.confirmedMs).toISOString()})`);
      this.api = cached;
      this.lastSuccessMs = cached.confirmedMs;
    }
    return (this.current = base.extend(this.api.entries));
  }

  /** Loads the files and the API again; on any failure the previous table stays in force. One at a time. */
  reload(): Promise<Reload> {
    if (this.running === undefined) {
      this.running = this.reloadOnce().finally(() => (this.running = undefined));
      return this.running;
    }
    // A SIGHUP during a fetch asks for what is on disk and at the API now: one more reload after this one.
    this.queued ??= this.running.then(() => {
      this.queued = undefined;
      return this.reload();
    });
    return this.queued;
  }

  private async reloadOnce(): Promise<Reload> {
    const before = this.current;
    const url = this.config.codesUrl;
    try {
      const base = await this.files();
      let modified = true;
      if (url !== undefined) {
        const answer = await this.fetch(url, base.extend(this.api?.entries ?? []), this.api);
        this.api = answer.table;
        modified = answer.modified;
      }
      const table = base.extend(this.api?.entries ?? []);
      if (!modified && sameEntries(table, before)) {
        this.reloads.not_modified++;
        return { result: 'not_modified', table: before, message: `code table not modified (--codes-url answered 304): ${before.entries.length} codes` };
      }
      this.current = table;
      this.reloads.success++;
      return { result: 'success', table, message: `code table reloaded: ${table.entries.length} codes` };
    } catch (err) {
      this.reloads.failure++;
      return { result: 'failure', table: before, message: `code table reload failed, keeping the previous table: ${(err as Error).message}` };
    }
  }

  /** Built-in, then every --codes file in order. */
  private async files(): Promise<CodeTable> {
    let table = CodeTable.builtin();
    for (const file of this.config.codes) table = table.extend(await loadCodesFile(file));
    return table;
  }

  /**
   * The API's table now: a new one (200), or `previous` confirmed (304). `known` describes the codes of an
   * envelope that is not 200. Saved to --codes-cache either way (a 304 moves its confirmed_at).
   */
  private async fetch(url: string, known: CodeTable, previous: CachedTable | undefined): Promise<{ table: CachedTable; modified: boolean }> {
    const answer = await fetchTable(
      { url, headers: this.config.codesUrlHeaders, timeoutMs: this.config.codesTimeoutMs },
      previous,
      (code) => known.get(code)?.description,
    );
    const now = Date.now();
    this.lastSuccessMs = now;
    const modified = answer.status === 'table';
    const table: CachedTable =
      answer.status === 'table'
        ? { url, entries: answer.entries, etag: answer.validators.etag, lastModified: answer.validators.lastModified, fetchedMs: now, confirmedMs: now }
        : // fetchTable answers 'not_modified' only to the validators of `previous`.
          { ...previous!, confirmedMs: now };
    if (this.config.codesCache !== undefined) {
      try {
        await writeCache(this.config.codesCache, table);
      } catch (err) {
        // The table is good; only the next start-up without the API loses it.
        this.warn((err as Error).message);
      }
    }
    return { table, modified };
  }
}

/** The table in force at start-up, for `errcode-stream codes`. */
export function loadTable(config: TableConfig, warn: (line: string) => void): Promise<CodeTable> {
  return new CodeTableSource(config, warn).start();
}
