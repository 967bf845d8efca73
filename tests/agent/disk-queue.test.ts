/** The forwarders' on-disk queue: order, persistence across a restart, and its byte cap. */
import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DiskQueue } from '../../agent/forward/disk-queue';
import { makeTempDir } from './helpers';

const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);

describe('DiskQueue', () => {
  it('gives batches back in order and keeps them across a reopen', () => {
    const dir = makeTempDir();
    const q = new DiskQueue(dir, 10_000);
    q.push(bytes(10, 1));
    q.push(bytes(20, 2));
    const first = q.peek()!;
    expect([...first.body]).toEqual([...bytes(10, 1)]);
    q.ack(first.seq);
    q.push(bytes(30, 3));
    // A write that never finished leaves a .tmp file: a reopen removes it.
    writeFileSync(path.join(dir, '0000000000000099.bin.tmp'), 'partial');
    const again = new DiskQueue(dir, 10_000);
    expect([again.size, again.bytes]).toEqual([2, 50]);
    expect(again.peek()!.body[0]).toBe(2);
    again.ack(again.peek()!.seq);
    expect(again.peek()!.body[0]).toBe(3);
    again.push(bytes(5, 4));
    again.ack(again.peek()!.seq);
    expect(again.peek()!.body[0]).toBe(4);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('drops the oldest batches past its byte cap, and counts them', () => {
    const q = new DiskQueue(makeTempDir(), 100);
    for (let i = 0; i < 10; i++) q.push(bytes(30, i));
    expect(q.size).toBe(3);
    expect(q.bytes).toBe(90);
    expect(q.dropped).toBe(7);
    expect(q.peek()!.body[0]).toBe(7);
  });
});
