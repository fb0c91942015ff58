// Remote write 1.0 (SPEC "History"): frames as a protobuf WriteRequest, compressed in snappy's block format.
// The schema is prompb's (types.proto, remote.proto):
//   WriteRequest { repeated TimeSeries timeseries = 1; }
//   TimeSeries   { repeated Label labels = 1; repeated Sample samples = 2; }
//   Label        { string name = 1; string value = 2; }
//   Sample       { double value = 1; int64 timestamp = 2; }   (timestamp: epoch ms)
// A request gives each series once, with its samples in time order: frames are taken oldest first.
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import snappy from 'snappy';
import type { Frame, SeriesTable } from './frames.js';

/** Part of a frame: its series from index `from` up to `to`. */
export interface FrameSlice {
  readonly frame: Frame;
  readonly from: number;
  readonly to: number;
}

export const CONTENT_TYPE = 'application/x-protobuf';
export const CONTENT_ENCODING = 'snappy';
export const PROTOCOL_VERSION = '0.1.0';

/** The stale marker of the remote-write spec, NaN with payload 2, as it goes on the wire (little-endian). */
const STALE_NAN = new Uint8Array([0x02, 0, 0, 0, 0, 0, 0xf0, 0x7f]);

/**
 * A Sample field of a TimeSeries at `atMs`, but for its value: the bytes before the value (field 2's tag and
 * length, the value's tag) and after it (the timestamp's tag and varint).
 */
function sampleBytes(atMs: number): { before: Uint8Array; after: Uint8Array } {
  const whole = new BinaryWriter().tag(2, WireType.LengthDelimited).fork().tag(1, WireType.Bit64).double(0).tag(2, WireType.Varint).int64(atMs).join().finish();
  // The Sample is at most 20 bytes, so its length is one byte: tag, length, value's tag, 8 bytes of value.
  return { before: whole.subarray(0, 3), after: whole.subarray(11) };
}

export class WriteRequestEncoder {
  private readonly writer = new BinaryWriter();
  /** Per series id, its Label fields as they go inside a TimeSeries (tag and length included). */
  private readonly labels: Uint8Array[] = [];
  // The samples of one request chained per series: head[id] and next[] index the samples in take order.
  private head = new Int32Array(256);
  private tail = new Int32Array(256);
  private next = new Int32Array(4096);
  private sampleSlice = new Int32Array(4096);
  private sampleIndex = new Int32Array(4096);

  constructor(private readonly table: SeriesTable) {}

  /** The uncompressed WriteRequest of `slices` (oldest first). */
  encode(slices: readonly FrameSlice[]): Uint8Array {
    const order = this.chain(slices);
    // A frame's samples differ only in their value: the bytes around it are made once per frame.
    const around = slices.map((sl) => sampleBytes(sl.frame.atMs));
    const w = this.writer;
    for (const id of order) {
      w.tag(1, WireType.LengthDelimited).fork();
      w.raw(this.labelsOf(id));
      for (let s = this.head[id]!; s >= 0; s = this.next[s]!) {
        const j = this.sampleSlice[s]!;
        const frame = slices[j]!.frame;
        w.raw(around[j]!.before);
        if (frame.stale) w.raw(STALE_NAN);
        else w.double(frame.values[this.sampleIndex[s]!]!);
        w.raw(around[j]!.after);
      }
      w.join();
    }
    return w.finish();
  }

  /** The request body: encode() in snappy's block format (not the framed one, which receivers refuse). */
  body(slices: readonly FrameSlice[]): Buffer {
    return snappy.compressSync(this.encode(slices));
  }

  /** Links each series' samples in time order; returns the series in the order they first appear. */
  private chain(slices: readonly FrameSlice[]): number[] {
    const entries = this.table.entries.length;
    if (this.head.length < entries) {
      this.head = new Int32Array(entries * 2);
      this.tail = new Int32Array(entries * 2);
    }
    let samples = 0;
    for (const sl of slices) samples += sl.to - sl.from;
    if (this.next.length < samples) {
      this.next = new Int32Array(samples * 2);
      this.sampleSlice = new Int32Array(samples * 2);
      this.sampleIndex = new Int32Array(samples * 2);
    }
    const order: number[] = [];
    this.head.fill(-1, 0, entries);
    let s = 0;
    slices.forEach((sl, j) => {
      for (let k = sl.from; k < sl.to; k++, s++) {
        const id = sl.frame.ids[k]!;
        this.sampleSlice[s] = j;
        this.sampleIndex[s] = k;
        this.next[s] = -1;
        if (this.head[id] === -1) {
          this.head[id] = s;
          order.push(id);
        } else this.next[this.tail[id]!] = s;
        this.tail[id] = s;
      }
    });
    return order;
  }

  private labelsOf(id: number): Uint8Array {
    let bytes = this.labels[id];
    if (bytes === undefined) {
      // Strings are written as UTF-8 (a lone surrogate becomes U+FFFD): protobuf strings must be valid UTF-8.
      const w = new BinaryWriter();
      for (const [name, value] of this.table.entries[id]!.labels) {
        w.tag(1, WireType.LengthDelimited).fork().tag(1, WireType.LengthDelimited).string(name).tag(2, WireType.LengthDelimited).string(value).join();
      }
      this.labels[id] = bytes = w.finish();
    }
    return bytes;
  }
}
