import { ArchiveFormat, encryptArchive } from './crypto';
import type { FileSink } from './file-sink';
import { ExportCancelledError, type ExportedFile } from './types';

/**
 * Finishes each file's Blob and, given a password, seals it (AES-256-GCM under a
 * PBKDF2-SHA-256 key, export/crypto.ts) into `<name>.tmenc`; `cancelled` is
 * polled while sealing, and a cancel ends in ExportCancelledError.
 *
 * Empty input: []. Complexity O(bytes).
 */
export async function sealFiles(
  sinks: FileSink[],
  options: {
    password?: string;
    iterations?: number;
    cancelled: () => boolean;
    /** Called before each file is sealed (for progress). */
    onSeal?: (name: string) => void;
  }
): Promise<ExportedFile[]> {
  const out: ExportedFile[] = [];
  const { password, cancelled } = options;
  const encrypted = password !== undefined && password !== '';
  for (const sink of sinks) {
    let blob = sink.finish();
    let name = sink.name;
    let type = sink.type;
    if (encrypted) {
      options.onSeal?.(name);
      try {
        blob = await encryptArchive(blob, { password, iterations: options.iterations, cancelled });
      } catch (e) {
        throw cancelled() ? new ExportCancelledError() : e;
      }
      name += ArchiveFormat.extension;
      type = 'application/octet-stream';
    }
    out.push({ name, type, blob, bytes: blob.size, rows: sink.rows, head: sink.head, encrypted });
  }
  return out;
}
