// The obvious implementation, the benchmark's baseline: split2 + JSON.parse + a Map of counts, reading
// stdin. It counts what errcode-stream counts at the default paths, so the comparison is like for like.
import split2 from 'split2';

const counts = new Map();
let malformed = 0;
let missing = 0;

function first(doc, keys) {
  for (const key of keys) {
    let v = doc;
    for (const k of key.split('.')) v = v !== null && typeof v === 'object' && !Array.isArray(v) && Object.hasOwn(v, k) ? v[k] : undefined;
    if (v !== undefined) return v;
  }
  return undefined;
}

process.stdin
  .pipe(split2())
  .on('data', (line) => {
    if (line.trim() === '') return;
    let doc;
    try {
      doc = JSON.parse(line);
    } catch {
      malformed++;
      return;
    }
    if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
      malformed++;
      return;
    }
    const status = first(doc, ['status', 'statusCode', 'http_status', 'httpStatus']);
    const code = first(doc, ['code', 'response.code', 'body.code']);
    const key = typeof status === 'number' && status !== 200 ? `http_${status}` : code === undefined ? null : String(code);
    if (key === null) missing++;
    else counts.set(key, (counts.get(key) ?? 0) + 1);
  })
  .on('end', () => {
    let responses = 0;
    for (const n of counts.values()) responses += n;
    process.stdout.write(`${JSON.stringify({ responses, malformed, missing, codes: Object.fromEntries(counts) })}\n`);
  });
