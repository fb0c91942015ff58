// The platform's response envelope and the spellings its API uses for a table (SPEC "The code table from
// the platform's API"), and the checks every loaded table gets: each code once, each code in range.
import { describe, expect, it } from 'vitest';
import { CodeTableError, parseCodes } from '../../dist/codes/load.js';

const source = '--codes-url http://api/codes';
const parse = (doc: unknown, describe?: (code: number) => string | undefined): { code: number; description: string; category: string }[] =>
  parseCodes(JSON.stringify(doc), source, describe ? { describe } : {}).map((e) => ({ code: e.code, description: e.description, category: e.category }));

describe('the envelope', () => {
  const expected = [
    { code: 5999, description: '限流', category: 'server' },
    { code: 700001, description: '新业务', category: 'unknown' },
  ];
  const list = [
    { code: 5999, description: '限流' },
    { code: '700001', description: '新业务' },
  ];

  it.each([
    ['a list as data', { code: 200, msg: '成功', data: list }],
    ['an object of codes as data', { code: 200, msg: '成功', data: { '5999': '限流', '700001': '新业务' } }],
    ['data.list', { code: 200, data: { list } }],
    ['data.records with its page fields', { code: 200, data: { records: list, total: 2, size: 10, current: 1 } }],
    ['data.items', { code: 200, data: { items: list, total: '2' } }],
    ['code 200 as a string', { code: '200', message: 'ok', data: list }],
  ])('takes the table from %s', (_name, doc) => {
    expect(parse(doc)).toEqual(expected);
  });

  it.each(['msg', 'message', 'description', 'desc'])('reads an item description called %s', (key) => {
    expect(parse({ code: 200, data: [{ code: 4003, [key]: 'AppKey无效' }] })).toEqual([{ code: 4003, description: 'AppKey无效', category: 'client' }]);
  });

  it("ignores the other fields of the API's records, and takes their category and English text", () => {
    const doc = { code: 200, data: { list: [{ id: 7, code: 5021, msg: '数据库不可用', category: 'server', description_en: 'Database down', createTime: '2026-01-01' }] } };
    expect(parseCodes(JSON.stringify(doc), source)).toEqual([{ code: 5021, category: 'server', description: '数据库不可用', description_en: 'Database down' }]);
  });

  it('names the code of a failed answer with its description from the table in force', () => {
    expect(() => parse({ code: 4003, msg: 'appkey invalid' })).toThrow(`${source}: the API answered code 4003 传入的AppKey无效`);
    expect(() => parse({ code: 500001, msg: 'x', data: null })).toThrow(`${source}: the API answered code 500001 无效的AppKey`);
    expect(() => parse({ code: '4003' }, (c) => (c === 4003 ? '密钥错误' : undefined))).toThrow(`${source}: the API answered code 4003 密钥错误`);
  });

  it("falls back on the answer's own msg, on one line, for a code the table does not list", () => {
    expect(() => parse({ code: 9001, msg: '维护中\n请稍后' })).toThrow(`${source}: the API answered code 9001 维护中 请稍后`);
    expect(() => parse({ code: 9001 })).toThrow(`${source}: the API answered code 9001 错误代码表中没有此代码`);
  });

  it.each([
    [{ code: 200, msg: 'ok' }, 'the API answered code 200 without data'],
    [{ code: 200, data: 'none' }, 'data is neither a list nor an object of codes'],
    [{ code: 200, data: { list: { a: 1 } } }, 'data.list is not a list'],
    [{ code: 'ok', data: [] }, `the answer's code "ok" is not a business code`],
    [{ code: 200, data: { records: [{ code: 1, msg: 'a' }], total: 40 } }, 'data.records holds 1 of 40 codes (one page of a paged answer); ask the API for all of them in one page'],
    [{ code: 200, data: [{ code: 1, msg: 'a', desc: 'b' }] }, 'data item 0: code 1 has two different descriptions (desc, msg); keep one'],
    [{ code: 200, data: { list: [{ code: 4003, msg: 'a' }, { code: 1, msg: 'b' }, { code: '4003', msg: 'c' }] } }, 'code 4003 is given twice (data.list item 0 and data.list item 2)'],
    [{ code: 200, data: [{ code: -1, msg: 'a' }] }, 'data item 0: code -1 is not a non-negative integer of at most 12 digits'],
    [{ code: 200, data: [{ code: 1234567890123, msg: 'a' }] }, 'data item 0: code 1234567890123 is not a non-negative integer of at most 12 digits'],
    [{ code: 200, data: { '4003': 'a', '04003': 'b' } }, 'data: code 4003 is given twice ("4003" and "04003")'],
  ])('rejects %j: %s', (doc, reason) => {
    expect(() => parse(doc)).toThrow(CodeTableError);
    expect(() => parse(doc)).toThrow(`${source}: ${reason}`);
  });
});

describe('every loaded table', () => {
  it('gives each code once, in a file too', () => {
    expect(() => parseCodes('[{"code":5999,"desc":"a"},{"code":5999,"desc":"b"}]', '--codes f.json')).toThrow('--codes f.json: code 5999 is given twice (item 0 and item 1)');
    expect(() => parseCodes('## 公共业务状态码\n| 4001 | a |\n| 4002 | b |\n| 4001 | c |\n', '--codes f.md')).toThrow('--codes f.md: code 4001 is given twice (line 2 and line 4)');
  });

  it('keeps a file strict about unknown keys, while accepting the description spellings', () => {
    expect(parseCodes('[{"code":5999,"msg":"限流"}]', 'f')[0]?.description).toBe('限流');
    expect(() => parseCodes('[{"code":5999,"msg":"限流","id":1}]', 'f')).toThrow('f: item 0: unknown key "id"');
  });
});
