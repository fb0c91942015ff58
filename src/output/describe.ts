// Descriptions of a counted series, whatever its kind: a table code, an unlisted code, http_<status>, other.
import type { SeriesInfo } from '../aggregate/types.js';
import { HTTP_SYSTEM_DESCRIPTION, HTTP_SYSTEM_DESCRIPTION_EN } from '../codes/builtin.js';
import { UNLISTED_DESCRIPTION, UNLISTED_DESCRIPTION_EN, type CodeTable } from '../codes/table.js';

export interface Descriptions {
  readonly description: string;
  readonly description_en: string;
}

export function errcodeDescriptions(series: Pick<SeriesInfo, 'code'>, table: CodeTable): Descriptions {
  if (series.code.startsWith('http_')) return { description: HTTP_SYSTEM_DESCRIPTION, description_en: HTTP_SYSTEM_DESCRIPTION_EN };
  if (series.code === 'other') return { description: UNLISTED_DESCRIPTION, description_en: UNLISTED_DESCRIPTION_EN };
  const { description, description_en } = table.info(Number(series.code));
  return { description, description_en };
}
