import { describe, expect, it } from 'vitest';
import { AgentLagShownMs, describeAgentLag } from './agent.svelte';

const lag = (over: Partial<Parameters<typeof describeAgentLag>[0]['lastLag'] & object> = {}) => ({
  lastLag: {
    sentSeq: 10,
    behindMessages: 14,
    behindMs: 14_400,
    blockedMs: 12_000,
    dropped: 0,
    cutOff: false,
    at: 1_000_000,
    ...over
  }
});

describe('describeAgentLag', () => {
  it('says nothing without a lagged event, or once it is old', () => {
    expect(describeAgentLag({ lastLag: null }, 5)).toBeNull();
    expect(describeAgentLag(lag(), 1_000_000 + AgentLagShownMs + 1)).toBeNull();
  });

  it('says how far behind the page fell, and that nothing was lost', () => {
    const d = describeAgentLag(lag(), 1_000_500)!;
    expect(d.short).toBe('fell 14 s behind');
    expect(d.cutOff).toBe(false);
    expect(d.long).toContain('12 s');
    expect(d.long).toContain('14 s (14 messages) behind');
    expect(d.long).toContain('Nothing was lost');
  });

  it('says when the agent cut the page off and what was lost', () => {
    const d = describeAgentLag(lag({ cutOff: true, dropped: 7 }), 1_000_500)!;
    expect(d.cutOff).toBe(true);
    expect(d.short).toBe('cut off: page fell behind');
    expect(d.long).toContain('7 messages fell off');
  });
});
