import { describe, expect, it } from 'vitest';
import { DefaultRetention, TierNames, TierWidthMs } from './index';

describe('tiers', () => {
  it('are listed finest to coarsest, each with a width and a retention', () => {
    for (let i = 1; i < TierNames.length; i++) {
      expect(TierWidthMs[TierNames[i]]).toBeGreaterThan(TierWidthMs[TierNames[i - 1]]);
      expect(DefaultRetention[TierNames[i]]).toBeGreaterThanOrEqual(
        DefaultRetention[TierNames[i - 1]]
      );
    }
  });
});
