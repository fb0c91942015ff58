// A .gz input for the reader thread, inflated off that thread: zlib works on libuv's thread pool, a piece
// of `into.length` bytes at a time and a few pieces ahead, while the reader scans the piece before. Each
// piece is copied into `into` (the scanner's read buffer, so the bulk scanner sees it where it lies).
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';

/** Input read per call: gzip archives compress gateway logs about 9 to 1. */
const COMPRESSED_READ = 1 << 18;
/** Inflated pieces kept ready ahead of the reader. */
const AHEAD = 4;

/**
 * The inflated bytes of the gzip stream on `fd`, piece by piece: each step copies one piece into `into`
 * and yields its length; the piece must be used before the next step. A stream that ends early throws
 * zlib's error (code Z_BUF_ERROR) after the last piece it could inflate.
 */
export async function* inflatePieces(fd: number, into: Buffer): AsyncGenerator<number, void, undefined> {
  const gunzip = createGunzip({ chunkSize: into.length, readableHighWaterMark: AHEAD * into.length } as Parameters<typeof createGunzip>[0]);
  const source = createReadStream('', { fd, autoClose: false, highWaterMark: COMPRESSED_READ });
  source.on('error', (err) => gunzip.destroy(err));
  source.pipe(gunzip);
  try {
    for await (const piece of gunzip as AsyncIterable<Buffer>) {
      for (let at = 0; at < piece.length; at += into.length) {
        const n = piece.copy(into, 0, at, Math.min(piece.length, at + into.length));
        yield n;
      }
    }
  } finally {
    // Not source.destroy(): that closes the descriptor, which is the caller's.
    source.unpipe(gunzip);
    source.pause();
    gunzip.destroy();
  }
}
