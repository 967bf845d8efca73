/** The hand-written remote-write encoder against a hand-computed protobuf, and snappy framing. */
import { snappyUncompress } from 'hyparquet';
import { describe, expect, it } from 'vitest';
import { toRemoteWrite } from '../../agent/forward/forwarder';
import { encodeWriteRequest, remoteWriteRequest } from '../../agent/forward/remote-write';

describe('remote-write encoding', () => {
  it('encodes WriteRequest { timeseries { labels, samples } } byte for byte', () => {
    const bytes = encodeWriteRequest([
      { labels: [['__name__', 'up']], samples: [{ t: 1000, v: 1 }] }
    ]);
    // Label: 0a 08 "__name__" 12 02 "up" (14 bytes); Sample: 09 <double 1.0 LE> 10 e8 07 (12).
    const label = [0x0a, 8, ...Buffer.from('__name__'), 0x12, 2, ...Buffer.from('up')];
    const sample = [0x09, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0x10, 0xe8, 0x07];
    const series = [0x0a, label.length, ...label, 0x12, sample.length, ...sample];
    expect([...bytes]).toEqual([0x0a, series.length, ...series]);
  });

  it('negative timestamps are 10-byte varints; the body is snappy that decodes to the message', () => {
    const message = encodeWriteRequest([{ labels: [], samples: [{ t: -1, v: 0 }] }]);
    expect([...message.slice(-11)]).toEqual([0x10, ...Array(9).fill(0xff), 0x01]);
    const { body, headers } = remoteWriteRequest([{ labels: [], samples: [{ t: -1, v: 0 }] }]);
    expect(headers['Content-Encoding']).toBe('snappy');
    const out = new Uint8Array(message.length);
    snappyUncompress(body, out);
    expect([...out]).toEqual([...message]);
  });

  it('points become series with Prometheus names, sorted labels and the instance', () => {
    const series = toRemoteWrite(
      [
        {
          name: 'disk.io',
          labels: { device: 'sda' },
          unit: 'By',
          kind: 'counter',
          category: 'system',
          t: 2,
          v: 5
        },
        {
          name: 'disk.io',
          labels: { device: 'sda' },
          unit: 'By',
          kind: 'counter',
          category: 'system',
          t: 1,
          v: 4
        }
      ],
      'host-1'
    );
    expect(series).toEqual([
      {
        labels: [
          ['__name__', 'disk_io_bytes_total'],
          ['device', 'sda'],
          ['instance', 'host-1']
        ],
        samples: [
          { t: 1, v: 4 },
          { t: 2, v: 5 }
        ]
      }
    ]);
  });
});
