// Text measured in terminal columns: CJK characters take two, combining marks none.
import stringWidth from 'string-width';

// Loaded only when there is a terminal to fit (see run.ts).
const segmenter = new Intl.Segmenter('en', { granularity: 'grapheme' });

/** Columns the text takes in a terminal. */
export function displayWidth(text: string): number {
  return stringWidth(text);
}

/**
 * The text cut to at most `width` columns, ending in `...` when cut. Cuts between grapheme clusters, so a
 * CJK character (two columns) or an emoji sequence is never split.
 */
export function fitWidth(text: string, width: number): string {
  if (width <= 0) return '';
  if (stringWidth(text) <= width) return text;
  const mark = width >= 4 ? '...' : '';
  const room = width - mark.length;
  let out = '';
  let used = 0;
  for (const { segment } of segmenter.segment(text)) {
    const w = stringWidth(segment);
    if (used + w > room) break;
    out += segment;
    used += w;
  }
  return out + mark;
}

/** Pads with spaces to exactly `width` columns (cutting first if longer). */
export function padWidth(text: string, width: number): string {
  const fitted = fitWidth(text, width);
  return fitted + ' '.repeat(Math.max(0, width - stringWidth(fitted)));
}
