/**
 * The agent's gatekeeping: pairing token storage and comparison, the exact Host and Origin
 * allow-lists (DNS rebinding, RELIABILITY.md rows 11–12) and the bad-token rate limiter
 * (row 14). Everything here is decided before a request reaches a route.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const TokenDefaults = {
  bytes: 32,
  /** Shorter env tokens are refused: they could be guessed within the rate limit. */
  minLength: 24,
  envVar: 'TIDEMARK_AGENT_TOKEN'
} as const;

export interface RateLimitConfig {
  maxFailures: number;
  windowMs: number;
  blockMs: number;
  /** Bounds the table so a flood of distinct keys cannot grow memory. */
  maxTrackedKeys: number;
}

/**
 * Wrong tokens are limited per presented credential and all together, never per address:
 * every local program and page reaches the agent from 127.0.0.1, so counting by address let
 * any page on localhost (twelve `<img>` tags) lock the paired Tidemark page out. A request
 * without a token is answered 401 and counted against nobody; a correct token is accepted
 * before any limit is looked at.
 *
 * The limits therefore cannot stop guessing in principle (a guess that is right is answered
 * 200 even during a block) — the 256-bit token does that: at a billion guesses a second the
 * expected time to find it is ~10^60 years. What they do is bound the work and log noise a
 * guesser causes and tell a stale client (an old token on a page) to back off with
 * `Retry-After`, without handing anybody a way to lock the right token out.
 */
export const RateLimitDefaults = {
  /** One wrong token repeated this often in the window gets 429 for the block. */
  perCredential: {
    maxFailures: 5,
    windowMs: 10_000,
    blockMs: 30_000,
    maxTrackedKeys: 10_000
  } satisfies RateLimitConfig,
  /** This many wrong tokens of any kind in the window make every wrong token get 429. */
  total: {
    maxFailures: 100,
    windowMs: 10_000,
    blockMs: 30_000,
    maxTrackedKeys: 1
  } satisfies RateLimitConfig
};

/** Default token file: `$XDG_CONFIG_HOME/tidemark/agent-token` or `~/.config/…`. */
export function resolveDefaultTokenFile(): string {
  const base = process.env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config');
  return path.join(base, 'tidemark', 'agent-token');
}

/** A fresh pairing token: 32 random bytes, base64url. */
export function createToken(): string {
  return randomBytes(TokenDefaults.bytes).toString('base64url');
}

export type TokenSource = 'env' | 'file' | 'created';

/**
 * The token from the environment if set, else from `file`, else a new one written to `file`
 * with mode 0600 (directory 0700). A token file readable by others is tightened to 0600.
 * Throws when the env token is too short or the file is empty.
 * @example loadOrCreateToken({ file: '/tmp/t', env: process.env })
 */
export function loadOrCreateToken(options: {
  file: string;
  env: NodeJS.ProcessEnv;
  warn?: (message: string) => void;
}): { token: string; source: TokenSource } {
  const fromEnv = options.env[TokenDefaults.envVar];
  if (fromEnv !== undefined && fromEnv !== '') {
    if (fromEnv.length < TokenDefaults.minLength) {
      throw new Error(
        `${TokenDefaults.envVar} is shorter than ${TokenDefaults.minLength} characters`
      );
    }
    return { token: fromEnv, source: 'env' };
  }
  let existing: string | undefined;
  try {
    existing = readFileSync(options.file, 'utf8').trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (existing !== undefined) {
    if (existing.length < TokenDefaults.minLength) {
      throw new Error(`token file ${options.file} holds no usable token; delete it to make one`);
    }
    if (process.platform !== 'win32' && (statSync(options.file).mode & 0o077) !== 0) {
      chmodSync(options.file, 0o600);
      options.warn?.(`token file ${options.file} was readable by others; mode set to 0600`);
    }
    return { token: existing, source: 'file' };
  }
  const token = createToken();
  mkdirSync(path.dirname(options.file), { recursive: true, mode: 0o700 });
  // 'wx' fails instead of overwriting when another agent created the file meanwhile.
  writeFileSync(options.file, token + '\n', { mode: 0o600, flag: 'wx' });
  return { token, source: 'created' };
}

/**
 * Constant-time token check: both sides are hashed first so the comparison runs over
 * equal-length digests and leaks neither content nor length. O(length).
 * @example verifyToken('abc', expectedDigest)
 */
export function verifyToken(presented: string, expectedDigest: Buffer): boolean {
  return timingSafeEqual(digestToken(presented), expectedDigest);
}

/** SHA-256 digest of the token, computed once at start. */
export function digestToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/**
 * The bearer token of an `Authorization` header, or undefined. Only the `Bearer` scheme.
 * @example readBearer('Bearer abc') // 'abc'
 */
export function readBearer(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer[ \t]+([^\s]+)[ \t]*$/i.exec(header);
  return m ? m[1] : undefined;
}

const LoopbackNames = ['127.0.0.1', 'localhost', '[::1]'];

/**
 * The exact Host values accepted for a port: loopback names always, plus `extraHosts`
 * (used when the operator bound a non-loopback address on purpose). O(names).
 * @example buildHostAllowList({ port: 9470 }) // Set { '127.0.0.1:9470', 'localhost:9470', '[::1]:9470' }
 */
export function buildHostAllowList(options: { port: number; extraHosts?: string[] }): Set<string> {
  const names = [...LoopbackNames, ...(options.extraHosts ?? [])];
  return new Set(
    names.map((n) => {
      const host = n.includes(':') && !n.startsWith('[') ? `[${n}]` : n;
      return `${host.toLowerCase()}:${options.port}`;
    })
  );
}

/**
 * True when the Host header is exactly one of the allowed values (case-insensitive name,
 * port required). Empty or missing Host → false. O(1).
 * @example isHostAllowed('evil.example:9470', allowList) // false
 */
export function isHostAllowed(host: string | undefined, allowList: Set<string>): boolean {
  if (!host) return false;
  return allowList.has(host.toLowerCase());
}

/**
 * True when `host` is a loopback bind address (127.0.0.0/8, ::1, localhost).
 * @example isLoopbackAddress('0.0.0.0') // false
 */
export function isLoopbackAddress(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/**
 * Counts failures per key in a sliding window; after `maxFailures` failures within
 * `windowMs` the key is blocked for `blockMs`. Keys are whatever the caller counts by (a
 * token digest, or one shared key for a global budget). O(maxFailures) per call.
 */
export class FailureLimiter {
  private readonly failures = new Map<string, number[]>();
  private readonly blockedUntil = new Map<string, number>();

  constructor(private readonly config: RateLimitConfig) {}

  /** True when `key` is blocked at time `now`. O(1). */
  isBlocked(key: string, now: number): boolean {
    const until = this.blockedUntil.get(key);
    if (until === undefined) return false;
    if (now < until) return true;
    this.blockedUntil.delete(key);
    return false;
  }

  /** Records a failure; returns true when it started a block. O(maxFailures). */
  recordFailure(key: string, now: number): boolean {
    if (this.failures.size >= this.config.maxTrackedKeys && !this.failures.has(key)) {
      // Forget the oldest key rather than grow without bound.
      const oldest = this.failures.keys().next().value;
      if (oldest !== undefined) this.failures.delete(oldest);
    }
    if (this.blockedUntil.size >= this.config.maxTrackedKeys && !this.blockedUntil.has(key)) {
      const oldest = this.blockedUntil.keys().next().value;
      if (oldest !== undefined) this.blockedUntil.delete(oldest);
    }
    const recent = (this.failures.get(key) ?? []).filter((t) => now - t < this.config.windowMs);
    recent.push(now);
    if (recent.length >= this.config.maxFailures) {
      this.failures.delete(key);
      this.blockedUntil.set(key, now + this.config.blockMs);
      return true;
    }
    this.failures.set(key, recent);
    return false;
  }

  /** Seconds until the block on `key` ends, for `Retry-After`; 0 when not blocked. */
  retryAfterSeconds(key: string, now: number): number {
    const until = this.blockedUntil.get(key);
    if (until === undefined || until <= now) return 0;
    return Math.max(1, Math.ceil((until - now) / 1000));
  }
}

/**
 * The token check in the order row 14 asks for: no token → 401 counted against nobody;
 * the right token → accepted at once, whatever any limit says; a wrong token → 429 when it
 * (or wrong tokens in total) are over their limit, else counted and 401.
 */
export class TokenGate {
  private readonly perCredential: FailureLimiter;
  private readonly total: FailureLimiter;

  constructor(
    private readonly expectedDigest: Buffer,
    limits: { perCredential: RateLimitConfig; total: RateLimitConfig } = RateLimitDefaults
  ) {
    this.perCredential = new FailureLimiter(limits.perCredential);
    this.total = new FailureLimiter(limits.total);
  }

  /** O(token length). */
  check(
    presented: string | undefined,
    now: number
  ): { ok: true } | { ok: false; status: 401 | 429; retryAfterS?: number } {
    if (presented === undefined) return { ok: false, status: 401 };
    const digest = digestToken(presented);
    if (timingSafeEqual(digest, this.expectedDigest)) return { ok: true };
    const key = digest.toString('base64');
    const wait = Math.max(
      this.perCredential.retryAfterSeconds(key, now),
      this.total.retryAfterSeconds('*', now)
    );
    if (wait > 0) return { ok: false, status: 429, retryAfterS: wait };
    this.perCredential.recordFailure(key, now);
    this.total.recordFailure('*', now);
    return { ok: false, status: 401 };
  }
}
