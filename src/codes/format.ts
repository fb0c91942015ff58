// `errcode-stream codes --format table|json|markdown`: the effective table, from the one CodeTable.
import { CATEGORIES } from './category.js';
import type { CodeTable } from './table.js';

export const CODE_FORMATS = ['table', 'json', 'markdown'] as const;
export type CodeFormat = (typeof CODE_FORMATS)[number];

const SECTIONS: readonly { title: string; categories: readonly string[] }[] = [
  { title: '公共业务状态码', categories: ['success', 'upgrade', 'client', 'server', 'system', 'unknown'] },
  { title: '自定义业务状态码', categories: ['business_quota'] },
  { title: '开放平台特定错误码', categories: ['platform_auth'] },
];

export function formatCodes(table: CodeTable, format: CodeFormat): string {
  const entries = table.entries;
  if (format === 'json') return JSON.stringify(entries, null, 2) + '\n';
  if (format === 'markdown') {
    const out = ['# 错误代码表', ''];
    for (const s of SECTIONS) {
      const rows = entries.filter((e) => s.categories.includes(e.category));
      if (rows.length === 0) continue;
      out.push(`## ${s.title}`, '', '| 错误代码 | 处理说明 |', '| -------- | -------- |');
      for (const e of rows) out.push(`| ${e.code} | ${e.description.replace(/\|/g, '\\|')} |`);
      out.push('');
    }
    return out.join('\n');
  }
  const width = Math.max(...CATEGORIES.map((c) => c.length));
  return entries.map((e) => `${String(e.code).padEnd(8)}${e.category.padEnd(width + 2)}${e.description}  (${e.description_en})`).join('\n') + '\n';
}
