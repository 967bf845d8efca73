/**
 * A bounded on-disk FIFO of request bodies for a forwarder: each batch is one file
 * (`<16-digit seq>.bin`, written to a temporary name and renamed, so a crash leaves whole
 * files only), read back in order after a restart. Past `maxBytes` the oldest batches are
 * dropped and counted: an outage loses nothing until the queue is full, then the oldest data.
 */
import {
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync
} from 'node:fs';
import path from 'node:path';

export const DiskQueueDefaults = {
  maxBytes: 64 * 1024 * 1024
} as const;

interface Entry {
  seq: number;
  file: string;
  bytes: number;
}

export class DiskQueue {
  private readonly entries: Entry[] = [];
  private nextSeq = 1;
  private heldBytes = 0;
  /** Batches dropped because the queue was full. */
  dropped = 0;

  constructor(
    private readonly dir: string,
    private readonly maxBytes: number = DiskQueueDefaults.maxBytes
  ) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    for (const name of readdirSync(dir).sort()) {
      const full = path.join(dir, name);
      if (!/^\d{16}\.bin$/.test(name)) {
        // A temporary file from a write that never finished.
        if (name.endsWith('.tmp')) rmSync(full, { force: true });
        continue;
      }
      const seq = Number(name.slice(0, 16));
      const bytes = statSync(full).size;
      this.entries.push({ seq, file: full, bytes });
      this.heldBytes += bytes;
      this.nextSeq = Math.max(this.nextSeq, seq + 1);
    }
  }

  get size(): number {
    return this.entries.length;
  }

  get bytes(): number {
    return this.heldBytes;
  }

  /** Appends a batch, dropping the oldest ones while the queue would be over its cap. */
  push(body: Uint8Array): void {
    const seq = this.nextSeq++;
    const file = path.join(this.dir, `${String(seq).padStart(16, '0')}.bin`);
    writeFileSync(`${file}.tmp`, body, { mode: 0o600 });
    renameSync(`${file}.tmp`, file);
    this.entries.push({ seq, file, bytes: body.length });
    this.heldBytes += body.length;
    while (this.heldBytes > this.maxBytes && this.entries.length > 1) {
      this.remove(this.entries[0]);
      this.dropped++;
    }
  }

  /** The oldest batch, or undefined. */
  peek(): { seq: number; body: Uint8Array } | undefined {
    const e = this.entries[0];
    if (e === undefined) return undefined;
    return { seq: e.seq, body: readFileSync(e.file) };
  }

  /** Removes a batch once it was delivered (or refused for good). */
  ack(seq: number): void {
    const e = this.entries.find((x) => x.seq === seq);
    if (e !== undefined) this.remove(e);
  }

  private remove(e: Entry): void {
    rmSync(e.file, { force: true });
    this.entries.splice(this.entries.indexOf(e), 1);
    this.heldBytes -= e.bytes;
  }
}
