/**
 * A remote-write receiver on loopback for tests, and a decoder of remote-write bodies.
 *
 *     const rx = await startReceiver();                // answers 200 unless told otherwise
 *     rx.answer = (n) => (n < 2 ? { status: 503 } : { status: 200 });
 *     ... push to rx.url ...
 *     rx.requests[0].series                              // decoded WriteRequest
 *     await rx.close();
 *
 * Bodies are decoded with protobufjs from prompb's own schema (types.proto, remote.proto): an implementation
 * independent of the encoder under test. Snappy's block format is undone with the snappy package.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import protobuf from 'protobufjs';
import snappy from 'snappy';

/** prompb's messages of remote write 1.0, as the spec gives them. */
export const PROMPB = `
syntax = "proto3";
package prometheus;
message WriteRequest { repeated TimeSeries timeseries = 1; reserved 2; reserved 3; }
message TimeSeries { repeated Label labels = 1; repeated Sample samples = 2; }
message Label { string name = 1; string value = 2; }
message Sample { double value = 1; int64 timestamp = 2; }
`;

const WriteRequest = protobuf.parse(PROMPB).root.lookupType('prometheus.WriteRequest');

export interface DecodedSample {
  readonly value: number;
  readonly timestamp: number;
}

export interface DecodedSeries {
  /** In the order they came. */
  readonly labels: readonly { name: string; value: string }[];
  readonly samples: readonly DecodedSample[];
}

/** The stale marker as it is on the wire: field 1 (double) of a Sample, NaN with payload 2, little-endian. */
const STALE_SAMPLE_VALUE = Buffer.from([0x09, 0x02, 0, 0, 0, 0, 0, 0xf0, 0x7f]);

/** The series of an uncompressed WriteRequest. */
export function decodeWriteRequest(raw: Uint8Array): DecodedSeries[] {
  const msg = WriteRequest.toObject(WriteRequest.decode(raw), { longs: Number, defaults: true }) as { timeseries: DecodedSeries[] };
  return msg.timeseries;
}

/** How many samples of an uncompressed WriteRequest are stale markers (a decoded NaN does not keep its payload). */
export function staleMarkers(raw: Uint8Array): number {
  const b = Buffer.from(raw);
  let n = 0;
  for (let at = b.indexOf(STALE_SAMPLE_VALUE); at >= 0; at = b.indexOf(STALE_SAMPLE_VALUE, at + 1)) n++;
  return n;
}

export const labelsOf = (s: DecodedSeries): Record<string, string> => Object.fromEntries(s.labels.map((l) => [l.name, l.value]));

export interface ReceivedRequest {
  readonly headers: IncomingHttpHeaders;
  /** The body as it came (snappy). */
  readonly body: Buffer;
  /** Uncompressed. */
  readonly raw: Buffer;
  readonly series: DecodedSeries[];
  readonly atMs: number;
}

export interface Answer {
  readonly status: number;
  readonly body?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Answer this much later (a slow receiver). */
  readonly delayMs?: number;
}

export interface Receiver {
  /** `http://127.0.0.1:PORT/api/v1/write` */
  readonly url: string;
  readonly requests: ReceivedRequest[];
  /** Decides the answer to request number n (0 first); 200 by default. */
  answer: (n: number) => Answer;
  /** Every sample received and accepted (status 2xx), as [labels, sample]. */
  accepted(): [Record<string, string>, DecodedSample][];
  close(): Promise<void>;
}

export async function startReceiver(answer: (n: number) => Answer = () => ({ status: 200 })): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  const statuses: number[] = [];
  const rx: Receiver = {
    url: '',
    requests,
    answer,
    accepted: () =>
      requests.flatMap((r, i) => (statuses[i]! < 300 ? r.series.flatMap((s) => s.samples.map((x): [Record<string, string>, DecodedSample] => [labelsOf(s), x])) : [])),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const raw = snappy.uncompressSync(body) as Buffer;
      const n = requests.length;
      requests.push({ headers: req.headers, body, raw, series: decodeWriteRequest(raw), atMs: Date.now() });
      const a = rx.answer(n);
      statuses.push(a.status);
      setTimeout(() => {
        res.writeHead(a.status, a.headers ?? {});
        res.end(a.body ?? '');
      }, a.delayMs ?? 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  (rx as { url: string }).url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/write`;
  return rx;
}
