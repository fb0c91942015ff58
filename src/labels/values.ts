// Label values: the common shaping of every dimension's value (SPEC "Breakdowns": at most 128 bytes, cut on a
// UTF-8 boundary), and the method dimension's normalisation.

export const MAX_VALUE_BYTES = 128;

/** `text` cut to at most MAX_VALUE_BYTES of UTF-8, never inside a character. */
export function cutUtf8(text: string): string {
  // Every UTF-16 unit takes at most 3 bytes (a pair of surrogates 4 for the two).
  if (text.length * 3 <= MAX_VALUE_BYTES || Buffer.byteLength(text) <= MAX_VALUE_BYTES) return text;
  let bytes = 0;
  let i = 0;
  while (i < text.length) {
    const c = text.codePointAt(i)!;
    const size = c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
    if (bytes + size > MAX_VALUE_BYTES) break;
    bytes += size;
    i += c >= 0x10000 ? 2 : 1;
  }
  return text.slice(0, i);
}

export const METHODS: readonly string[] = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH'];

/** Upper-cased; anything but the nine standard methods is `other`. */
export function normalizeMethod(text: string): string {
  const m = text.toUpperCase();
  return METHODS.includes(m) ? m : 'other';
}
