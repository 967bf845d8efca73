import { describe, expect, it } from 'vitest';
import {
  ArchiveDefaults,
  ArchiveError,
  ArchiveFormat,
  decryptArchive,
  encryptArchive,
  isEncryptedArchive,
  readArchiveHeader
} from './crypto';

const ITER = ArchiveDefaults.minIterations;
const text = (n: number) =>
  Array.from({ length: n }, (_, i) => String.fromCharCode(97 + (i % 26))).join('');
const bytesOf = async (b: Blob) => new Uint8Array(await b.arrayBuffer());

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'resolved';
  } catch (e) {
    expect(e).toBeInstanceOf(ArchiveError);
    return (e as ArchiveError).code;
  }
}

describe('encrypted archive', () => {
  it.each([0, 1, 1023, 1024, 1025, 5000])('round-trips %i bytes across 1 KiB chunks', async (n) => {
    const plain = text(n);
    const sealed = await encryptArchive(new Blob([plain]), {
      password: 'pässword',
      iterations: ITER,
      chunkBytes: 1024
    });
    // Header + key check + one tag per chunk (at least one chunk) + the plaintext.
    const chunks = Math.max(1, Math.ceil(n / 1024));
    expect(sealed.size).toBe(ArchiveFormat.headerBytes + 16 + chunks * 16 + n);
    const head = await bytesOf(sealed.slice(0, 64));
    expect(isEncryptedArchive(head)).toBe(true);
    expect(readArchiveHeader(head)).toEqual({ version: 1, iterations: ITER, chunkBytes: 1024 });
    const back = await decryptArchive(sealed, 'pässword');
    expect(await back.text()).toBe(plain);
  });

  it('round-trips a plaintext larger than the 32 MiB fold, byte for byte, and cancels between chunks', async () => {
    const n = 40 * 1024 * 1024 + 7;
    const plain = new Uint8Array(n);
    for (let i = 0; i < n; i++) plain[i] = (i * 31 + (i >>> 13)) & 0xff;
    const sealed = await encryptArchive(new Blob([plain]), { password: 'pw', iterations: ITER });
    const seen: number[] = [];
    const back = await bytesOf(
      await decryptArchive(sealed, 'pw', { onProgress: (done) => seen.push(done) })
    );
    expect(back.length).toBe(n);
    expect(back.every((b, i) => b === plain[i])).toBe(true);
    expect(seen.length).toBe(Math.ceil(n / ArchiveDefaults.chunkBytes));
    expect(seen.at(-1)).toBe(sealed.size);

    let calls = 0;
    const stopped = decryptArchive(sealed, 'pw', {
      onProgress: () => calls++,
      cancelled: () => calls >= 3
    });
    expect(await codeOf(stopped)).toBe('cancelled');
    expect(calls).toBe(3);
  });

  it('uses 600,000 PBKDF2 iterations by default and a fresh salt and nonce each time', async () => {
    const a = await bytesOf(await encryptArchive(new Blob(['x']), { password: 'p' }));
    const b = await bytesOf(
      await encryptArchive(new Blob(['x']), { password: 'p', iterations: ITER })
    );
    expect(readArchiveHeader(a).iterations).toBe(600_000);
    expect(a.slice(20, 43)).not.toEqual(b.slice(20, 43));
    expect(await (await decryptArchive(new Blob([a]), 'p')).text()).toBe('x');
  });

  it('a wrong password is a typed error, with nothing decrypted', async () => {
    const sealed = await encryptArchive(new Blob([text(3000)]), {
      password: 'right',
      iterations: ITER,
      chunkBytes: 1024
    });
    expect(await codeOf(decryptArchive(sealed, 'wrong'))).toBe('wrong_password');
    expect(await codeOf(decryptArchive(sealed, ''))).toBe('bad_password');
  });

  it('one flipped byte anywhere fails authentication', async () => {
    const sealed = await bytesOf(
      await encryptArchive(new Blob([text(3000)]), {
        password: 'pw',
        iterations: ITER,
        chunkBytes: 1024
      })
    );
    // In a chunk → damaged; in the header's salt or key check → the key check fails.
    for (const [at, code] of [
      [sealed.length - 1, 'damaged'],
      [70, 'damaged'],
      [1200, 'damaged'],
      [25, 'wrong_password'],
      [50, 'wrong_password']
    ] as const) {
      const bad = sealed.slice();
      bad[at] ^= 1;
      expect(await codeOf(decryptArchive(new Blob([bad]), 'pw'))).toBe(code);
    }
  });

  it('a truncated file is refused: mid-chunk, at a chunk boundary, inside the header', async () => {
    const sealed = await bytesOf(
      await encryptArchive(new Blob([text(3000)]), {
        password: 'pw',
        iterations: ITER,
        chunkBytes: 1024
      })
    );
    const boundary = ArchiveFormat.headerBytes + 16 + 2 * (1024 + 16);
    expect(await codeOf(decryptArchive(new Blob([sealed.slice(0, boundary)]), 'pw'))).toBe(
      'truncated'
    );
    expect(await codeOf(decryptArchive(new Blob([sealed.slice(0, sealed.length - 5)]), 'pw'))).toBe(
      'damaged'
    );
    expect(await codeOf(decryptArchive(new Blob([sealed.slice(0, boundary + 10)]), 'pw'))).toBe(
      'truncated'
    );
    expect(await codeOf(decryptArchive(new Blob([sealed.slice(0, 30)]), 'pw'))).toBe('truncated');
  });

  it('refuses headers it cannot trust: unknown version, iterations out of range, not an archive', async () => {
    const sealed = await bytesOf(
      await encryptArchive(new Blob(['abc']), { password: 'pw', iterations: ITER })
    );
    const v2 = sealed.slice();
    v2[8] = 2;
    expect(await codeOf(decryptArchive(new Blob([v2]), 'pw'))).toBe('unsupported');
    const slow = sealed.slice();
    new DataView(slow.buffer).setUint32(12, 0xffffffff);
    expect(await codeOf(decryptArchive(new Blob([slow]), 'pw'))).toBe('unsupported');
    expect(
      await codeOf(
        decryptArchive(
          new Blob(['hello world, not sealed at all...........................']),
          'pw'
        )
      )
    ).toBe('not_archive');
    // Fewer iterations written into the header: the key check binds the header.
    const fewer = sealed.slice();
    new DataView(fewer.buffer).setUint32(12, ITER + 1);
    expect(await codeOf(decryptArchive(new Blob([fewer]), 'pw'))).toBe('wrong_password');
  });
});
