// The effective code table: built-in, then every --codes file, then --codes-url (later ones win).
import type { Config } from '../config.js';
import { fetchCodes, loadCodesFile } from './load.js';
import { CodeTable } from './table.js';

export async function loadTable(config: Pick<Config, 'codes' | 'codesUrl'>): Promise<CodeTable> {
  let table = CodeTable.builtin();
  for (const file of config.codes) table = table.extend(await loadCodesFile(file));
  if (config.codesUrl) table = table.extend(await fetchCodes(config.codesUrl));
  return table;
}
