/**
 * Prometheus remote-write 1.0 request bodies
 * (https://prometheus.io/docs/specs/remote_write_spec/): a `prometheus.WriteRequest`
 * protobuf, snappy block-compressed. The encoder is written by hand: it needs four messages
 * of two or three fields each (WriteRequest.timeseries = 1; TimeSeries.labels = 1,
 * .samples = 2; Label.name = 1, .value = 2; Sample.value = 1 double, .timestamp = 2 int64),
 * which is some forty lines, where protobufjs would add a runtime and a schema loader to the
 * agent. Snappy is hyparquet-writer's compressor (snappyjs's block format, pure JS), already
 * a dependency for Parquet export.
 */
import { snappyCompress } from 'hyparquet-writer/src/snappy.js';

export interface RemoteWriteSeries {
  /** Sorted by name, `__name__` included (the spec requires sorted label names). */
  labels: [string, string][];
  samples: { t: number; v: number }[];
}

const encoder = new TextEncoder();

class ProtoWriter {
  private bytes = new Uint8Array(1024);
  length = 0;

  private room(n: number): void {
    if (this.length + n <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.bytes.subarray(0, this.length));
    this.bytes = next;
  }

  varint(n: number | bigint): void {
    let v = BigInt.asUintN(64, BigInt(n));
    this.room(10);
    while (v >= 0x80n) {
      this.bytes[this.length++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.bytes[this.length++] = Number(v);
  }

  /** A length-delimited field (wire type 2). */
  bytesField(field: number, data: Uint8Array): void {
    this.varint((field << 3) | 2);
    this.varint(data.length);
    this.room(data.length);
    this.bytes.set(data, this.length);
    this.length += data.length;
  }

  /** A double field (wire type 1, little-endian IEEE 754). */
  doubleField(field: number, v: number): void {
    this.varint((field << 3) | 1);
    this.room(8);
    new DataView(this.bytes.buffer).setFloat64(this.length, v, true);
    this.length += 8;
  }

  /** An int64 field (wire type 0; negative numbers as 10-byte two's complement). */
  int64Field(field: number, v: number): void {
    this.varint(field << 3);
    this.varint(BigInt(v));
  }

  finish(): Uint8Array {
    return this.bytes.slice(0, this.length);
  }
}

/**
 * The protobuf `WriteRequest` for the series (uncompressed).
 *
 * Empty input: an empty message (0 bytes). Complexity O(samples + labels).
 * @example
 * encodeWriteRequest([{ labels: [['__name__', 'up']], samples: [{ t: 1000, v: 1 }] }])
 */
export function encodeWriteRequest(series: readonly RemoteWriteSeries[]): Uint8Array {
  const request = new ProtoWriter();
  for (const s of series) {
    const ts = new ProtoWriter();
    for (const [name, value] of s.labels) {
      const label = new ProtoWriter();
      label.bytesField(1, encoder.encode(name));
      label.bytesField(2, encoder.encode(value));
      ts.bytesField(1, label.finish());
    }
    for (const p of s.samples) {
      const sample = new ProtoWriter();
      sample.doubleField(1, p.v);
      sample.int64Field(2, Math.round(p.t));
      ts.bytesField(2, sample.finish());
    }
    request.bytesField(1, ts.finish());
  }
  return request.finish();
}

/**
 * The HTTP body and headers of a remote-write request.
 * @example const { body, headers } = remoteWriteRequest(series)
 */
export function remoteWriteRequest(series: readonly RemoteWriteSeries[]): {
  body: Uint8Array;
  headers: Record<string, string>;
} {
  return {
    body: snappyCompress(encodeWriteRequest(series)),
    headers: {
      'Content-Type': 'application/x-protobuf',
      'Content-Encoding': 'snappy',
      'X-Prometheus-Remote-Write-Version': '0.1.0'
    }
  };
}
