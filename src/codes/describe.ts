// Descriptions of a counted series, whatever its kind: a table code, an unlisted code, http_<status>, other.
import { HTTP_SYSTEM_DESCRIPTION, HTTP_SYSTEM_DESCRIPTION_EN } from './builtin.js';
import { UNLISTED_DESCRIPTION, UNLISTED_DESCRIPTION_EN, type CodeTable } from './table.js';

export interface Descriptions {
  readonly description: string;
  readonly description_en: string;
}

export function errcodeDescriptions(series: { readonly code: string }, table: CodeTable): Descriptions {
  if (series.code.startsWith('http_')) return { description: HTTP_SYSTEM_DESCRIPTION, description_en: HTTP_SYSTEM_DESCRIPTION_EN };
  if (series.code === 'other') return { description: UNLISTED_DESCRIPTION, description_en: UNLISTED_DESCRIPTION_EN };
  const { description, description_en } = table.info(Number(series.code));
  return { description, description_en };
}
