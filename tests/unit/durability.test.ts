import { describe, expect, it } from 'vitest';
import {
  firstTimeFor,
  forgetDataHeld,
  noteBackup,
  noteDataHeld,
  readDataHeld,
  readLastBackup
} from '$lib/state/durability';
import { memoryStorage } from './memory-storage';

describe('durability markers', () => {
  it('remembers that data was held, keeps the first time, and forgets on request', () => {
    const s = memoryStorage();
    expect(readDataHeld(s)).toBeNull();
    noteDataHeld(s, { series: 3, events: 0 }, 1000);
    noteDataHeld(s, { series: 5, events: 2 }, 2000);
    expect(readDataHeld(s)).toEqual({ since: 1000, seenAt: 2000, series: 5, events: 2 });
    // Within the hour and no more series: not rewritten.
    noteDataHeld(s, { series: 5, events: 2 }, 3000);
    expect(readDataHeld(s)?.seenAt).toBe(2000);
    forgetDataHeld(s);
    expect(readDataHeld(s)).toBeNull();
  });

  it('keeps the last backup', () => {
    const s = memoryStorage();
    expect(readLastBackup(s)).toBeNull();
    noteBackup(s, { at: 5, name: 'a.json' });
    noteBackup(s, { at: 9, name: 'b.json' });
    expect(readLastBackup(s)).toEqual({ at: 9, name: 'b.json' });
  });

  it('answers "first time" once per reason', () => {
    const s = memoryStorage();
    expect(firstTimeFor(s, 'import', 1)).toBe(true);
    expect(firstTimeFor(s, 'import', 2)).toBe(false);
    expect(firstTimeFor(s, 'pairing', 3)).toBe(true);
  });

  it('survives missing or broken storage', () => {
    const s = memoryStorage();
    s.setItem('tidemark:data-held', '{broken');
    expect(readDataHeld(s)).toBeNull();
    expect(readDataHeld(undefined)).toBeNull();
    expect(() => noteDataHeld(undefined, { series: 1, events: 0 }, 1)).not.toThrow();
  });
});
