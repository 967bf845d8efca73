/**
 * The Tidemark encrypted archive, version 1: any export file sealed with a password through
 * WebCrypto (OWASP password storage: PBKDF2-HMAC-SHA-256 with at least 600,000 iterations;
 * AES-256-GCM; never ZipCrypto). The plaintext is cut into chunks sealed one by one (a
 * "STREAM" construction, Hoang–Reyhanitabar–Rogaway–Vizár 2015), so a large file never has
 * to be one WebCrypto call, and reordering, dropping or truncating chunks fails to
 * authenticate.
 *
 * Layout (big-endian):
 *
 * | offset | bytes | field |
 * | --- | --- | --- |
 * | 0 | 8 | magic `89 54 4D 45 4E 43 0D 0A` ("\x89TMENC\r\n": the high byte and CRLF catch 7-bit and newline-mangling copies, as PNG's does) |
 * | 8 | 1 | format version (1) |
 * | 9 | 1 | KDF (1 = PBKDF2-HMAC-SHA-256) |
 * | 10 | 1 | cipher (1 = AES-256-GCM, 16-byte tag) |
 * | 11 | 1 | reserved (0) |
 * | 12 | 4 | PBKDF2 iterations |
 * | 16 | 4 | plaintext chunk size in bytes |
 * | 20 | 16 | random salt |
 * | 36 | 7 | random nonce prefix |
 * | 43 | 16 | key check: the GCM tag of an empty message (nonce counter 0xFFFFFFFF, flag 2) |
 * | 59 | … | chunks: ciphertext + 16-byte tag each |
 *
 * Chunk i is sealed with the 12-byte nonce `prefix ‖ u32(i) ‖ flag`, flag 1 on the last chunk
 * and 0 before, and the 43 header bytes as additional data, so a changed header (fewer
 * iterations, another chunk size) fails too. Every chunk but the last holds exactly the
 * chunk size; an empty plaintext is one empty last chunk. The key check lets a reader say
 * "wrong password" before touching the data, and tell it apart from a damaged file.
 * Salt and nonce prefix are fresh for every archive.
 */
export const ArchiveFormat = {
  magic: [0x89, 0x54, 0x4d, 0x45, 0x4e, 0x43, 0x0d, 0x0a] as const,
  version: 1,
  kdfPbkdf2Sha256: 1,
  cipherAes256Gcm: 1,
  headerBytes: 43,
  tagBytes: 16,
  saltBytes: 16,
  prefixBytes: 7,
  /** File name suffix of an encrypted export. */
  extension: '.tmenc'
} as const;

/** Writer defaults, and the bounds a reader accepts (a crafted header must not hang it). */
export const ArchiveDefaults = {
  iterations: 600_000,
  chunkBytes: 1024 * 1024,
  minIterations: 100_000,
  maxIterations: 10_000_000,
  minChunkBytes: 1024,
  maxChunkBytes: 64 * 1024 * 1024
};

export type ArchiveErrorCode =
  | 'not_archive'
  | 'unsupported'
  | 'wrong_password'
  | 'damaged'
  | 'truncated'
  | 'bad_password'
  | 'cancelled';

/** A typed failure of encryption or decryption; `message` says what to do. */
export class ArchiveError extends Error {
  readonly code: ArchiveErrorCode;
  constructor(code: ArchiveErrorCode, message: string) {
    super(message);
    this.name = 'ArchiveError';
    this.code = code;
  }
}

/** What encryption and decryption read: a Blob or a File (browser or Node). */
export interface BlobLike {
  readonly size: number;
  slice(start?: number, end?: number): { arrayBuffer(): Promise<ArrayBuffer> };
}

const KEY_CHECK_COUNTER = 0xffffffff;
const KEY_CHECK_FLAG = 2;
const PREFIX_OFFSET = 36;
const BODY_OFFSET = ArchiveFormat.headerBytes + ArchiveFormat.tagBytes;
const FOLD_BYTES = 32 * 1024 * 1024;

/**
 * Whether bytes start with the encrypted-archive magic (8 bytes are enough).
 *
 * Empty input: false. Complexity O(1).
 * @example
 * isEncryptedArchive(new Uint8Array([0x89, 0x54, 0x4d, 0x45, 0x4e, 0x43, 0x0d, 0x0a])) // true
 */
export function isEncryptedArchive(head: Uint8Array): boolean {
  return ArchiveFormat.magic.every((b, i) => head[i] === b);
}

function nonceOf(header: Uint8Array, counter: number, flag: number): Uint8Array<ArrayBuffer> {
  const iv = new Uint8Array(12);
  iv.set(header.subarray(PREFIX_OFFSET, PREFIX_OFFSET + ArchiveFormat.prefixBytes));
  new DataView(iv.buffer).setUint32(7, counter);
  iv[11] = flag;
  return iv;
}

async function deriveKey(options: {
  password: string;
  salt: Uint8Array<ArrayBuffer>;
  iterations: number;
}): Promise<CryptoKey> {
  // NFC so the same password typed on two systems (composed or decomposed accents) matches.
  const secret = new TextEncoder().encode(options.password.normalize('NFC'));
  const base = await crypto.subtle.importKey('raw', secret, 'PBKDF2', false, ['deriveKey']);
  return crypto.subtle.deriveKey(
    { name: 'PBKDF2', salt: options.salt, iterations: options.iterations, hash: 'SHA-256' },
    base,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt']
  );
}

async function seal(options: {
  key: CryptoKey;
  header: Uint8Array<ArrayBuffer>;
  counter: number;
  flag: number;
  plain: Uint8Array<ArrayBuffer>;
}): Promise<Uint8Array<ArrayBuffer>> {
  const { key, header, counter, flag, plain } = options;
  const out = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv: nonceOf(header, counter, flag), additionalData: header },
    key,
    plain
  );
  return new Uint8Array(out);
}

async function open(options: {
  key: CryptoKey;
  header: Uint8Array<ArrayBuffer>;
  counter: number;
  flag: number;
  sealed: Uint8Array<ArrayBuffer>;
}): Promise<Uint8Array<ArrayBuffer> | null> {
  const { key, header, counter, flag, sealed } = options;
  try {
    const out = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: nonceOf(header, counter, flag), additionalData: header },
      key,
      sealed
    );
    return new Uint8Array(out);
  } catch {
    return null;
  }
}

function checkPassword(password: string): void {
  if (password.length === 0)
    throw new ArchiveError('bad_password', 'Enter a password: an empty one protects nothing.');
}

/**
 * Encrypts a file into the archive format above. Reads the input one chunk at a time; the
 * result is a Blob made of the sealed chunks (never one big buffer).
 *
 * Empty input: a 75-byte archive (header, key check, one empty sealed chunk).
 * Complexity O(bytes) plus one PBKDF2 derivation.
 * @example
 * const sealed = await encryptArchive(new Blob(['hello']), { password: 'correct horse' });
 * const plain = await decryptArchive(sealed, 'correct horse'); // Blob 'hello'
 */
export async function encryptArchive(
  input: BlobLike,
  options: {
    password: string;
    iterations?: number;
    chunkBytes?: number;
    /** Fills a buffer with random bytes; WebCrypto's by default (tests make salts repeatable). */
    randomBytes?: (bytes: Uint8Array<ArrayBuffer>) => void;
    onProgress?: (done: number, total: number) => void;
    /** Checked between chunks; true stops with an 'aborted' Error. */
    cancelled?: () => boolean;
  }
): Promise<Blob> {
  checkPassword(options.password);
  const iterations = options.iterations ?? ArchiveDefaults.iterations;
  const chunkBytes = options.chunkBytes ?? ArchiveDefaults.chunkBytes;
  if (
    iterations < ArchiveDefaults.minIterations ||
    iterations > ArchiveDefaults.maxIterations ||
    chunkBytes < ArchiveDefaults.minChunkBytes ||
    chunkBytes > ArchiveDefaults.maxChunkBytes
  )
    throw new ArchiveError('unsupported', 'iterations or chunk size outside the allowed range');
  const random = options.randomBytes ?? ((b: Uint8Array<ArrayBuffer>) => crypto.getRandomValues(b));
  const header = new Uint8Array(ArchiveFormat.headerBytes);
  header.set(ArchiveFormat.magic);
  header[8] = ArchiveFormat.version;
  header[9] = ArchiveFormat.kdfPbkdf2Sha256;
  header[10] = ArchiveFormat.cipherAes256Gcm;
  const view = new DataView(header.buffer);
  view.setUint32(12, iterations);
  view.setUint32(16, chunkBytes);
  const salt = new Uint8Array(ArchiveFormat.saltBytes);
  random(salt);
  header.set(salt, 20);
  const prefix = new Uint8Array(ArchiveFormat.prefixBytes);
  random(prefix);
  header.set(prefix, PREFIX_OFFSET);
  const key = await deriveKey({ password: options.password, salt, iterations });
  const parts: BlobPart[] = [
    header,
    await seal({
      key,
      header,
      counter: KEY_CHECK_COUNTER,
      flag: KEY_CHECK_FLAG,
      plain: new Uint8Array(0)
    })
  ];
  const chunks = Math.max(1, Math.ceil(input.size / chunkBytes));
  for (let i = 0; i < chunks; i++) {
    if (options.cancelled?.()) throw new Error('aborted');
    const start = i * chunkBytes;
    const plain = new Uint8Array(
      await input.slice(start, Math.min(input.size, start + chunkBytes)).arrayBuffer()
    );
    parts.push(await seal({ key, header, counter: i, flag: i === chunks - 1 ? 1 : 0, plain }));
    options.onProgress?.(Math.min(input.size, start + chunkBytes), input.size);
  }
  return new Blob(parts, { type: 'application/octet-stream' });
}

/** The settings an archive header declares, validated. */
export interface ArchiveHeader {
  version: number;
  iterations: number;
  chunkBytes: number;
}

/**
 * Reads and validates an archive header (the first 43 bytes or more).
 *
 * Empty input: throws 'not_archive'. Complexity O(1).
 * @example
 * readArchiveHeader(bytes).iterations // 600000
 */
export function readArchiveHeader(bytes: Uint8Array): ArchiveHeader {
  if (!isEncryptedArchive(bytes))
    throw new ArchiveError('not_archive', 'This is not an encrypted Tidemark archive.');
  if (bytes.length < BODY_OFFSET)
    throw new ArchiveError('truncated', 'The encrypted archive is cut short inside its header.');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = bytes[8];
  if (version !== ArchiveFormat.version)
    throw new ArchiveError(
      'unsupported',
      `This archive is format version ${version}; this Tidemark reads version ${ArchiveFormat.version}. Update Tidemark to open it.`
    );
  if (bytes[9] !== ArchiveFormat.kdfPbkdf2Sha256 || bytes[10] !== ArchiveFormat.cipherAes256Gcm)
    throw new ArchiveError(
      'unsupported',
      'This archive uses a key derivation or cipher this Tidemark does not know.'
    );
  const iterations = view.getUint32(12);
  const chunkBytes = view.getUint32(16);
  if (iterations < ArchiveDefaults.minIterations || iterations > ArchiveDefaults.maxIterations)
    throw new ArchiveError(
      'unsupported',
      `The archive asks for ${iterations} key-derivation iterations, outside the ${ArchiveDefaults.minIterations}–${ArchiveDefaults.maxIterations} this reader accepts.`
    );
  if (chunkBytes < ArchiveDefaults.minChunkBytes || chunkBytes > ArchiveDefaults.maxChunkBytes)
    throw new ArchiveError(
      'unsupported',
      `The archive's chunk size ${chunkBytes} is out of range.`
    );
  return { version, iterations, chunkBytes };
}

/**
 * Decrypts an archive. Every chunk is authenticated before the result exists: the plaintext
 * Blob is returned only when all chunks, the last-chunk flag and the header checked out, so
 * nothing of a damaged or truncated file is ever used.
 * Errors (`ArchiveError`): 'wrong_password' when the key check fails, 'damaged' when a chunk
 * fails, 'truncated' when the file ends early, 'unsupported'/'not_archive' for headers,
 * 'cancelled' when `cancelled()` turned true between chunks.
 *
 * Empty input: throws 'not_archive'. Complexity O(bytes) plus one PBKDF2 derivation.
 * @example
 * await decryptArchive(sealed, 'wrong') // throws ArchiveError 'wrong_password'
 */
export async function decryptArchive(
  input: BlobLike,
  password: string,
  options: {
    onProgress?: (done: number, total: number) => void;
    cancelled?: () => boolean;
    type?: string;
  } = {}
): Promise<Blob> {
  checkPassword(password);
  const head = new Uint8Array(await input.slice(0, BODY_OFFSET).arrayBuffer());
  const { iterations, chunkBytes } = readArchiveHeader(head);
  const header = head.slice(0, ArchiveFormat.headerBytes);
  const salt = header.slice(20, 20 + ArchiveFormat.saltBytes);
  const key = await deriveKey({ password, salt, iterations });
  const check = await open({
    key,
    header,
    counter: KEY_CHECK_COUNTER,
    flag: KEY_CHECK_FLAG,
    sealed: head.slice(ArchiveFormat.headerBytes, BODY_OFFSET)
  });
  if (check === null)
    throw new ArchiveError(
      'wrong_password',
      'Wrong password (or the archive header is damaged): nothing was decrypted or imported.'
    );
  const sealedChunk = chunkBytes + ArchiveFormat.tagBytes;
  const body = input.size - BODY_OFFSET;
  const chunks = Math.max(1, Math.ceil(body / sealedChunk));
  const lastSize = body - (chunks - 1) * sealedChunk;
  if (lastSize < ArchiveFormat.tagBytes)
    throw new ArchiveError(
      'truncated',
      'The encrypted archive is cut short (its last chunk is incomplete); nothing was imported.'
    );
  // Decrypted chunks are folded into a Blob every FOLD_BYTES, so the plaintext of a large
  // archive lives in the browser's blob store (which pages to disk), not in the JS heap.
  let plainBlob = new Blob([]);
  let parts: Uint8Array<ArrayBuffer>[] = [];
  let partBytes = 0;
  for (let i = 0; i < chunks; i++) {
    if (options.cancelled?.())
      throw new ArchiveError('cancelled', 'Decryption was cancelled; nothing was imported.');
    const start = BODY_OFFSET + i * sealedChunk;
    const sealed = new Uint8Array(
      await input.slice(start, Math.min(input.size, start + sealedChunk)).arrayBuffer()
    );
    const last = i === chunks - 1;
    const plain = await open({ key, header, counter: i, flag: last ? 1 : 0, sealed });
    if (plain === null) {
      // A last chunk that opens as a middle chunk means the file stopped at a chunk boundary.
      const cut = last && (await open({ key, header, counter: i, flag: 0, sealed })) !== null;
      throw cut
        ? new ArchiveError(
            'truncated',
            'The encrypted archive is cut short (chunks are missing at its end); nothing was imported.'
          )
        : new ArchiveError(
            'damaged',
            `The encrypted archive is damaged or was altered (chunk ${i + 1} of ${chunks} failed authentication); nothing was imported.`
          );
    }
    if (!last && plain.length !== chunkBytes)
      throw new ArchiveError('damaged', 'The encrypted archive has a malformed chunk.');
    parts.push(plain);
    partBytes += plain.length;
    if (partBytes >= FOLD_BYTES) {
      plainBlob = new Blob([plainBlob, ...parts]);
      parts = [];
      partBytes = 0;
    }
    options.onProgress?.(Math.min(input.size, start + sealedChunk), input.size);
  }
  return new Blob([plainBlob, ...parts], { type: options.type ?? 'application/octet-stream' });
}

/**
 * The import path's hook: a file that starts with the archive magic is decrypted (all of
 * it authenticated first) into a plain `File` named without `.tmenc`; any other file is
 * returned as it is. An encrypted file without a password is an `ArchiveError`
 * 'bad_password' that asks for one.
 *
 * Empty input: returned as it is. Complexity O(bytes) for an archive, O(1) otherwise.
 * @example
 * const plain = await openEncryptedImport(file, password); // then parse `plain` as usual
 */
export async function openEncryptedImport<
  F extends BlobLike & { name: string; lastModified: number }
>(
  file: F,
  password: string | undefined,
  options: {
    /** Called once before the key derivation (done 0) and after each decrypted chunk. */
    onProgress?: (done: number, total: number) => void;
    cancelled?: () => boolean;
  } = {}
): Promise<F | File> {
  const head = new Uint8Array(await file.slice(0, ArchiveFormat.magic.length).arrayBuffer());
  if (!isEncryptedArchive(head)) return file;
  if (password === undefined || password === '')
    throw new ArchiveError(
      'bad_password',
      `${file.name} is an encrypted Tidemark archive: enter its password to import it.`
    );
  options.onProgress?.(0, file.size);
  const plain = await decryptArchive(file, password, options);
  const name = file.name.endsWith(ArchiveFormat.extension)
    ? file.name.slice(0, -ArchiveFormat.extension.length)
    : file.name;
  return new File([plain], name, { lastModified: file.lastModified });
}
