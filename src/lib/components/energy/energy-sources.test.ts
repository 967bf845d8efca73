import { describe, expect, it } from 'vitest';
import { describeEnergySources } from './energy-sources';

const agent = (energy?: { sources: string[]; summary: string }) => ({
  hostname: 'box',
  ...(energy ? { energy } : {})
});

describe('describeEnergySources', () => {
  it('names the sources a connected agent reads', () => {
    const note = describeEnergySources({
      state: 'connected',
      agent: agent({ sources: ['RAPL'], summary: 'RAPL (package-0)' })
    });
    expect(note).toEqual({
      kind: 'measured',
      text: 'Energy on box is measured from RAPL (package-0).'
    });
  });

  it('says "not measured" with the agent\'s reason when the host has no source', () => {
    const note = describeEnergySources({
      state: 'connected',
      agent: agent({ sources: [], summary: 'not measured (no readable RAPL energy counter)' })
    });
    expect(note?.kind).toBe('none');
    expect(note?.text).toMatch(
      /^Energy on box is not measured \(no readable RAPL energy counter\)/
    );
    expect(note?.text).toMatch(/never as 0/);
  });

  it('says nothing without a connected agent that reports energy', () => {
    expect(describeEnergySources({ state: 'idle', agent: null })).toBeNull();
    const summary = { sources: ['RAPL'], summary: 'RAPL (package-0)' };
    expect(describeEnergySources({ state: 'connecting', agent: agent(summary) })).toBeNull();
    // An agent from before issue 25 has no `energy` in its hello.
    expect(describeEnergySources({ state: 'connected', agent: agent() })).toBeNull();
  });
});
