// The --state-file: where each followed file was left, so a restart resumes there. A file is known by its
// device and inode and by a fingerprint of its first bytes (an inode number is reused once a file is
// deleted; copytruncate keeps the inode but not the first bytes). The offset is that of the last complete
// line: an unfinished line is read again, whole, after the restart.
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';

export interface FileState {
  /** The followed path (absolute) this file was found under. */
  readonly path: string;
  /** Decimal strings: inode numbers may exceed 2^53. */
  readonly dev: string;
  readonly ino: string;
  /** Base64 of up to the first FINGERPRINT_BYTES bytes of the file as they were when read. */
  readonly fingerprint: string;
  readonly offset: number;
  /** True for a file rotated away from `path` that was still being read. */
  readonly rotated: boolean;
  /** Birth time in ns (decimal), "0" where the filesystem keeps none: finds generations rotated meanwhile. */
  readonly birth: string;
}

/** A followed path or the state file that cannot be used: the user's to fix (exit 2). */
export class FollowError extends Error {
  override name = 'FollowError';
}

const VERSION = 1;

function isFileState(v: unknown): v is FileState {
  if (v === null || typeof v !== 'object') return false;
  const s = v as Record<string, unknown>;
  return (
    typeof s['path'] === 'string' &&
    typeof s['dev'] === 'string' &&
    /^\d+$/.test(s['dev']) &&
    typeof s['ino'] === 'string' &&
    /^\d+$/.test(s['ino']) &&
    typeof s['fingerprint'] === 'string' &&
    Number.isSafeInteger(s['offset']) &&
    (s['offset'] as number) >= 0 &&
    typeof s['rotated'] === 'boolean' &&
    typeof s['birth'] === 'string' &&
    /^\d+$/.test(s['birth'])
  );
}

/** The saved files; none when the state file does not exist yet or is empty. */
export function loadState(file: string): FileState[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  if (text.trim() === '') return [];
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new FollowError(`--state-file ${file}: not JSON; remove it to start afresh`);
  }
  const d = doc as { version?: unknown; files?: unknown };
  if (d === null || typeof d !== 'object' || d.version !== VERSION || !Array.isArray(d.files) || !d.files.every(isFileState)) {
    throw new FollowError(`--state-file ${file}: not a state file of this version; remove it to start afresh`);
  }
  return d.files;
}

export function serializeState(files: readonly FileState[]): string {
  return JSON.stringify({ version: VERSION, files }, null, 1) + '\n';
}

/**
 * Replaces the state file atomically: a crash at any point leaves either the old or the new state, never
 * a torn one (write a temporary file beside it, fsync, rename over it).
 */
export function writeState(file: string, text: string): void {
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    const b = Buffer.from(text);
    for (let at = 0; at < b.length; ) at += writeSync(fd, b, at, b.length - at);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}
