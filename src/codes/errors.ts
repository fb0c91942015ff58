// The one error a code table can fail to load with: a one-line reason that names the flag and the file or
// URL. The caller decides what it means (exit 2 at start-up, the previous table kept on a reload).
export class CodeTableError extends Error {
  override name = 'CodeTableError';
}
