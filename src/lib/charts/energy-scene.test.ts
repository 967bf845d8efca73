import { describe, expect, it } from 'vitest';
import {
  colourForEnergy,
  EnergyLoop,
  EnergyScene,
  EnergySceneDefaults,
  hitTestRibbon,
  layoutRibbons,
  particleCount,
  waveOffset,
  type RibbonModel
} from './energy-scene';

const model = (key: string, tps: number, entropy: number | null = null): RibbonModel => ({
  key,
  label: key,
  tokensPerSecond: tps,
  joulesPerToken: 1,
  entropy
});

describe('layoutRibbons', () => {
  it('makes ribbon width proportional to throughput, the busiest the widest', () => {
    const layout = layoutRibbons([model('a', 100), model('b', 50), model('c', 0)], {
      width: 800,
      height: 600
    });
    expect(layout[0].half * 2).toBe(EnergySceneDefaults.maxWidthPx);
    expect(layout[1].half).toBeCloseTo(layout[0].half / 2, 12);
    expect(layout[2].half).toBe(0);
    expect(layout[0].y).toBeLessThan(layout[1].y);
    expect(layoutRibbons([], { width: 800, height: 600 })).toEqual([]);
  });

  it('finds the ribbon under the pointer, following its wave', () => {
    const layout = layoutRibbons([model('a', 100), model('b', 100)], { width: 800, height: 400 });
    const x = 300;
    expect(hitTestRibbon(layout, x, layout[1].y + waveOffset(x, 1))).toBe(1);
    expect(hitTestRibbon(layout, x, layout[0].y + waveOffset(x, 0))).toBe(0);
    expect(hitTestRibbon(layout, x, 1)).toBe(-1);
    expect(hitTestRibbon(layout, 2, layout[0].y)).toBe(-1);
  });
});

describe('particleCount', () => {
  it('scales density with entropy and is flat without it', () => {
    const [r] = layoutRibbons([model('a', 10)], { width: 1032, height: 200 });
    const flat = particleCount(model('a', 10), r);
    expect(flat).toBe(Math.round(10 * EnergySceneDefaults.particlesPer100Px));
    expect(particleCount(model('a', 10, 4), r)).toBe(2 * flat);
    expect(particleCount(model('a', 10, 1), r)).toBe(flat / 2);
  });
});

describe('colourForEnergy', () => {
  it('runs teal (efficient) to red (costly), grey when not measured', () => {
    expect(colourForEnergy(0.1)).toBe('hsl(175 70% 42%)');
    expect(colourForEnergy(3)).toBe('hsl(0 70% 42%)');
    expect(colourForEnergy(100)).toBe('hsl(0 70% 42%)');
    expect(colourForEnergy(null)).toBe('hsl(210 8% 55%)');
  });
});

describe('EnergyLoop', () => {
  it('animates with motion and draws once per change without', () => {
    const frames: ((now: number) => void)[] = [];
    const calls: string[] = [];
    const ctx = {
      setTransform: () => {},
      fillRect: () => calls.push('fill'),
      fillText: () => {},
      beginPath: () => {},
      lineTo: () => {},
      closePath: () => {},
      fill: () => {}
    } as unknown as CanvasRenderingContext2D;
    const scene = new EnergyScene();
    scene.setSize(400, 200);
    const loop = new EnergyLoop(scene, {
      target: () => ({ ctx, dpr: 1, theme: { text: '#000', muted: '#333', background: '#fff' } }),
      nextFrame: (cb) => frames.push(cb),
      motion: true
    });
    loop.setModels([model('a', 50, 2)]);
    expect(loop.frames).toBe(0);
    frames.shift()!(16);
    frames.shift()!(32);
    expect(loop.frames).toBe(2);
    loop.setMotion(false);
    expect(loop.frames).toBe(3);
    frames.shift()!(48);
    expect(loop.frames).toBe(3);
    loop.setModels([model('a', 60, 2)]);
    expect(loop.frames).toBe(4);
    expect(loop.updates).toBe(2);
  });
});
