import { describe, expect, it } from 'vitest';
import {
  buildHostAllowList,
  digestToken,
  FailureLimiter,
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
  it('blocks after maxFailures inside the window, for blockMs', () => {
    const limiter = new FailureLimiter();
    for (let i = 0; i < RateLimitDefaults.maxFailures - 1; i++) {
      expect(limiter.recordFailure('a', 1000 + i)).toBe(false);
    }
    expect(limiter.isBlocked('a', 1100)).toBe(false);
    expect(limiter.recordFailure('a', 1100)).toBe(true);
    expect(limiter.isBlocked('a', 1101)).toBe(true);
    expect(limiter.isBlocked('b', 1101)).toBe(false);
    expect(limiter.retryAfterSeconds('a', 1100)).toBe(RateLimitDefaults.blockMs / 1000);
    expect(limiter.isBlocked('a', 1100 + RateLimitDefaults.blockMs)).toBe(false);
  });

  it('forgets failures older than the window', () => {
    const limiter = new FailureLimiter();
    for (let i = 0; i < 20; i++) {
      expect(limiter.recordFailure('a', i * (RateLimitDefaults.windowMs / 5))).toBe(false);
    }
  });

  it('bounds the number of tracked addresses', () => {
    const limiter = new FailureLimiter({ ...RateLimitDefaults, maxTrackedAddresses: 3 });
    for (let i = 0; i < 100; i++) limiter.recordFailure(`addr${i}`, 0);
    // Only the last three are still counted: nine more failures block addr99, not addr0.
    for (let i = 0; i < RateLimitDefaults.maxFailures - 1; i++) limiter.recordFailure('addr0', 1);
    expect(limiter.isBlocked('addr0', 2)).toBe(false);
  });
});
