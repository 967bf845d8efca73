import { describe, expect, it } from 'vitest';
import {
  buildHostAllowList,
  digestToken,
  FailureLimiter,
  TokenGate,
  isHostAllowed,
  isLoopbackAddress,
  RateLimitDefaults,
  readBearer,
  verifyToken
} from '../../agent/security';

describe('host allow-list', () => {
  const list = buildHostAllowList({ port: 9470 });
  it('holds exactly the three loopback names with the port', () => {
    expect([...list].sort()).toEqual(['127.0.0.1:9470', '[::1]:9470', 'localhost:9470']);
  });
  it.each([
    [undefined, false],
    ['', false],
    ['127.0.0.1:9470', true],
    ['Localhost:9470', true],
    ['[::1]:9470', true],
    ['::1:9470', false],
    ['127.0.0.1:9471', false],
    ['127.0.0.1.nip.io:9470', false],
    ['127.0.0.1:9470.evil', false],
    [' 127.0.0.1:9470', false]
  ])('isHostAllowed(%j) = %s', (host, ok) => {
    expect(isHostAllowed(host, list)).toBe(ok);
  });
  it('brackets IPv6 extra hosts', () => {
    expect(buildHostAllowList({ port: 1, extraHosts: ['fe80::1', 'box'] })).toContain(
      '[fe80::1]:1'
    );
  });
});

describe('isLoopbackAddress', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.1.2.3', true],
    ['::1', true],
    ['[::1]', true],
    ['localhost', true],
    ['0.0.0.0', false],
    ['::', false],
    ['10.0.0.1', false],
    ['127.0.0.1.nip.io', false]
  ])('%s → %s', (host, ok) => {
    expect(isLoopbackAddress(host)).toBe(ok);
  });
});

describe('token', () => {
  const digest = digestToken('s3cret-token-s3cret-token');
  it.each([
    ['s3cret-token-s3cret-token', true],
    ['s3cret-token-s3cret-toke', false],
    ['s3cret-token-s3cret-token ', false],
    ['', false],
    ['x'.repeat(10_000), false]
  ])('verifyToken(%j) = %s', (presented, ok) => {
    expect(verifyToken(presented, digest)).toBe(ok);
  });
  it.each([
    [undefined, undefined],
    ['Bearer abc', 'abc'],
    ['bearer abc', 'abc'],
    ['Bearer  abc ', 'abc'],
    ['Bearer a b', undefined],
    ['Basic abc', undefined],
    ['abc', undefined]
  ])('readBearer(%j) = %j', (header, token) => {
    expect(readBearer(header)).toBe(token);
  });
});

describe('FailureLimiter', () => {
  const Config = RateLimitDefaults.perCredential;

  it('blocks after maxFailures inside the window, for blockMs', () => {
    const limiter = new FailureLimiter(Config);
    for (let i = 0; i < Config.maxFailures - 1; i++) {
      expect(limiter.recordFailure('a', 1000 + i)).toBe(false);
    }
    expect(limiter.isBlocked('a', 1100)).toBe(false);
    expect(limiter.retryAfterSeconds('a', 1100)).toBe(0);
    expect(limiter.recordFailure('a', 1100)).toBe(true);
    expect(limiter.isBlocked('a', 1101)).toBe(true);
    expect(limiter.isBlocked('b', 1101)).toBe(false);
    expect(limiter.retryAfterSeconds('a', 1100)).toBe(Config.blockMs / 1000);
    expect(limiter.isBlocked('a', 1100 + Config.blockMs)).toBe(false);
    expect(limiter.retryAfterSeconds('a', 1100 + Config.blockMs)).toBe(0);
  });

  it('forgets failures older than the window', () => {
    const limiter = new FailureLimiter(Config);
    for (let i = 0; i < 20; i++) {
      expect(limiter.recordFailure('a', i * (Config.windowMs / (Config.maxFailures - 1)))).toBe(
        false
      );
    }
  });

  it('bounds the number of tracked keys', () => {
    const limiter = new FailureLimiter({ ...Config, maxTrackedKeys: 3 });
    for (let i = 0; i < 100; i++) limiter.recordFailure(`key${i}`, 0);
    // Only the last three are still counted: more failures of key0 start from zero.
    for (let i = 0; i < Config.maxFailures - 1; i++) limiter.recordFailure('key0', 1);
    expect(limiter.isBlocked('key0', 2)).toBe(false);
  });
});

describe('TokenGate', () => {
  const token = 'the-right-token-of-enough-length';
  const small = {
    perCredential: { maxFailures: 2, windowMs: 1000, blockMs: 5000, maxTrackedKeys: 100 },
    total: { maxFailures: 4, windowMs: 1000, blockMs: 5000, maxTrackedKeys: 1 }
  };

  it('answers no token 401 without counting it', () => {
    const gate = new TokenGate(digestToken(token), small);
    for (let i = 0; i < 50; i++)
      expect(gate.check(undefined, i)).toEqual({ ok: false, status: 401 });
    expect(gate.check('wrong-1', 60)).toEqual({ ok: false, status: 401 });
  });

  it('blocks a repeated wrong token, not others, and never the right one', () => {
    const gate = new TokenGate(digestToken(token), small);
    expect(gate.check('stale', 0).ok).toBe(false);
    expect(gate.check('stale', 1)).toEqual({ ok: false, status: 401 });
    expect(gate.check('stale', 2)).toEqual({ ok: false, status: 429, retryAfterS: 5 });
    expect(gate.check('other', 3)).toEqual({ ok: false, status: 401 });
    expect(gate.check(token, 4)).toEqual({ ok: true });
  });

  it('blocks every wrong token once the total is spent, still accepting the right one', () => {
    const gate = new TokenGate(digestToken(token), small);
    for (let i = 0; i < 4; i++) expect(gate.check(`guess-${i}`, i).ok).toBe(false);
    expect(gate.check('guess-new', 10)).toMatchObject({ status: 429 });
    expect(gate.check(token, 11)).toEqual({ ok: true });
    // After the block, wrong tokens are only wrong again.
    expect(gate.check('guess-later', 3 + 5000)).toEqual({ ok: false, status: 401 });
  });
});
