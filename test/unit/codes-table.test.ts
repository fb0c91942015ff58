// The built-in table must match the platform's own Markdown table, code for code and text for text.
// fixtures/error-code-table.md is that table as the platform publishes it, byte for byte.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BUILTIN_CODES } from '../../dist/codes/builtin.js';
import { categoryByShape } from '../../dist/codes/category.js';
import { CodeTableError, parseCodes, parseCodesJson, parseCodesMarkdown } from '../../dist/codes/load.js';
import { CodeTable } from '../../dist/codes/table.js';
import { formatCodes } from '../../dist/codes/format.js';
import { ROOT } from '../support/exec.js';

const markdown = readFileSync(`${ROOT}/fixtures/error-code-table.md`, 'utf8');
/** Where the platform's own copy sits beside a development checkout. */
const platformCopy = `${ROOT}/../shared/error-code-table.md`;

describe('the built-in code table', () => {
  const parsed = parseCodesMarkdown(markdown, 'error-code-table.md');

  it('is checked against the platform table itself', () => {
    expect(markdown).toMatch(/^\| 500001 +\| 无效的AppKey +\|$/m);
    if (existsSync(platformCopy)) expect(markdown).toBe(readFileSync(platformCopy, 'utf8'));
  });

  it('has every code of the platform table with its exact description and section category', () => {
    const raw = [...markdown.matchAll(/^\|\s*(\d+)\s*\|\s*(.*?)\s*\|\s*$/gm)].map((m) => [Number(m[1]), m[2]] as const);
    // The HTTP section's 200 is an HTTP status, not a business code.
    const business = raw.slice(1);
    expect(BUILTIN_CODES.map((e) => [e.code, e.description])).toEqual(business);
    expect(BUILTIN_CODES.map((e) => ({ code: e.code, category: e.category, description: e.description }))).toEqual(
      parsed.map((e) => ({ code: e.code, category: e.category, description: e.description })),
    );
  });

  it('has an English description for every code and unique codes', () => {
    for (const e of BUILTIN_CODES) expect(e.description_en).toMatch(/^[\x20-\x7e]+$/);
    expect(new Set(BUILTIN_CODES.map((e) => e.code)).size).toBe(BUILTIN_CODES.length);
  });

  it('keeps %s placeholders', () => {
    expect(CodeTable.builtin().get(4036)?.description).toBe('ID为%s的%s已被禁用');
  });

  it('classifies unlisted codes by shape', () => {
    expect([250, 399, 4999, 45000, 599, 5999, 59999, 150000, 500500, 600, 1].map(categoryByShape)).toEqual([
      'success', 'upgrade', 'client', 'client', 'server', 'server', 'server', 'business_quota', 'platform_auth', 'unknown', 'unknown',
    ]);
    const info = CodeTable.builtin().info(5999);
    expect(info).toMatchObject({ category: 'server', listed: false, description_en: 'Code not in the platform code table' });
  });

  it('round-trips through the markdown export', () => {
    const again = parseCodes(formatCodes(CodeTable.builtin(), 'markdown'), 'export');
    expect(again.map((e) => [e.code, e.category, e.description])).toEqual(BUILTIN_CODES.map((e) => [e.code, e.category, e.description]));
  });
});

describe('loaded tables', () => {
  it('accept a JSON array and a JSON object and override the built-in entries', () => {
    const arr = parseCodesJson('[{"code":5999,"description":"新错误","category":"server","description_en":"New"},{"code":"4004","description":"签名无效"}]', 'x');
    expect(arr[1]?.description_en).toBe('Invalid signature');
    const obj = parseCodesJson('{"4004":"签名错误","700001":"自定义"}', 'y');
    const t = CodeTable.builtin().extend(obj);
    expect(t.get(4004)?.description).toBe('签名错误');
    expect(t.get(4004)?.description_en).toBe('签名错误');
    expect(t.info(700001).listed).toBe(true);
  });

  it.each([
    ['[{"code":"abc","description":"x"}]', /item 0: code "abc" is not a non-negative integer of at most 12 digits/],
    ['[{"code":1,"description":""}]', /code 1 has no description/],
    ['[{"code":1,"description":"x","category":"bad"}]', /category "bad"; expected one of success, upgrade/],
    ['[{"code":1,"description":"x","colour":"red"}]', /unknown key "colour"/],
    ['{"code":', /not valid JSON/],
    ['[1]', /item 0 is not an object/],
    ['# nothing here', /no code rows found/],
  ])('reject %s with a one-line reason', (text, pattern) => {
    expect(() => parseCodes(text, 'codes.json')).toThrow(CodeTableError);
    expect(() => parseCodes(text, 'codes.json')).toThrow(pattern);
  });
});
