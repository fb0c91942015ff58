// The effective code table: the built-in table, overridden and extended by loaded tables.
import { BUILTIN_CODES, type CodeEntry } from './builtin.js';
import { categoryByShape, type Category } from './category.js';

export type { CodeEntry };

export const UNLISTED_DESCRIPTION = '错误代码表中没有此代码';
export const UNLISTED_DESCRIPTION_EN = 'Code not in the platform code table';

export interface CodeInfo {
  readonly category: Category;
  readonly description: string;
  readonly description_en: string;
  readonly listed: boolean;
}

export class CodeTable {
  private readonly byCode: ReadonlyMap<number, CodeEntry>;

  constructor(readonly entries: readonly CodeEntry[]) {
    const map = new Map<number, CodeEntry>();
    for (const e of entries) map.set(e.code, e);
    this.byCode = map;
  }

  static builtin(): CodeTable {
    return new CodeTable(BUILTIN_CODES);
  }

  /** A new table where each of `overrides` replaces the entry with the same code or is added. */
  extend(overrides: readonly CodeEntry[]): CodeTable {
    const map = new Map<number, CodeEntry>();
    for (const e of this.entries) map.set(e.code, e);
    for (const e of overrides) map.set(e.code, e);
    return new CodeTable([...map.values()]);
  }

  get(code: number): CodeEntry | undefined {
    return this.byCode.get(code);
  }

  /** Category and descriptions of any code: the table's entry, or the shape rule for unlisted codes. */
  info(code: number): CodeInfo {
    const e = this.byCode.get(code);
    if (e) return { category: e.category, description: e.description, description_en: e.description_en, listed: true };
    return {
      category: categoryByShape(code),
      description: UNLISTED_DESCRIPTION,
      description_en: UNLISTED_DESCRIPTION_EN,
      listed: false,
    };
  }
}
