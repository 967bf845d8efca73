import type { EnergyTheme, RibbonModel } from './energy-scene';

/** Messages from the page to the energy worker. */
export type ToEnergyWorker =
  | {
      kind: 'attach';
      canvas: OffscreenCanvas;
      width: number;
      height: number;
      dpr: number;
      theme: EnergyTheme;
      motion: boolean;
    }
  | { kind: 'models'; models: RibbonModel[] }
  | { kind: 'resize'; width: number; height: number }
  | { kind: 'motion'; motion: boolean }
  | { kind: 'theme'; theme: EnergyTheme };

/** What the worker reports about twice a second: frames drawn so far and their rate. */
export interface EnergyFrameReport {
  kind: 'frames';
  /** Frames drawn since attach. */
  frames: number;
  /** Model updates received since attach. */
  updates: number;
  /** Frames per second over the last report period. */
  fps: number;
  motion: boolean;
}
