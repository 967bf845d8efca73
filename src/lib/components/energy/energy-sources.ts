import type { AgentEnergyStatus } from '$lib/types';

/** What the Energy page says about the paired agent's power sources. */
export interface EnergySourceNote {
  /** `measured`: at least one source; `none`: the host has none (or energy is off). */
  kind: 'measured' | 'none';
  text: string;
}

/**
 * The line about where energy comes from, from the agent's `hello` (AgentStatus.energy):
 * null while no agent is connected or the agent is too old to say.
 * @example describeEnergySources({ state: 'connected', agent: { hostname: 'box', energy: { sources: [], summary: 'not measured (…)' } } }).kind // 'none'
 */
export function describeEnergySources(status: {
  state: string;
  agent: { hostname: string; energy?: Pick<AgentEnergyStatus, 'sources' | 'summary'> } | null;
}): EnergySourceNote | null {
  const energy = status.agent?.energy;
  if (status.state !== 'connected' || !status.agent || !energy) return null;
  const host = status.agent.hostname;
  if (energy.sources.length > 0) {
    return { kind: 'measured', text: `Energy on ${host} is measured from ${energy.summary}.` };
  }
  return {
    kind: 'none',
    text: `Energy on ${host} is ${energy.summary}: energy per token and tokens per joule show as “not measured”, never as 0.`
  };
}
