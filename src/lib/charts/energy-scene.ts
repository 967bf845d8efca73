/**
 * The energy view's picture: one horizontal ribbon per active model, its width the model's
 * measured throughput (relative to the busiest model), particles flowing along it at a
 * speed proportional to tokens/s, as many as its token entropy says (evenly spaced when no
 * entropy is reported), coloured by energy per token. Drawn by the energy worker on an
 * OffscreenCanvas, or on the main thread where OffscreenCanvas is missing; the page uses the
 * same layout for hover. Works in CSS pixels; the caller scales for the device pixel ratio.
 */

type Ctx2D = CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D;

export interface RibbonModel {
  key: string;
  label: string;
  tokensPerSecond: number;
  joulesPerToken: number | null;
  entropy: number | null;
}

export interface RibbonLayout {
  key: string;
  /** Centre line's y at the left edge; the ribbon waves around it. */
  y: number;
  /** Half the ribbon's width, px. */
  half: number;
  x0: number;
  x1: number;
}

export interface EnergyTheme {
  text: string;
  muted: string;
  background: string;
}

export const EnergySceneDefaults = {
  /** Widest ribbon (the busiest model), px. */
  maxWidthPx: 60,
  /** A model that generates anything is at least this wide, px. */
  minWidthPx: 3,
  /** Room above each ribbon for its label, px. */
  labelPx: 18,
  paddingPx: 16,
  /** Particle speed: px per second per token/s, capped. */
  pxPerToken: 2.2,
  maxSpeedPx: 600,
  /** Particles per 100 px of ribbon length at the reference entropy. */
  particlesPer100Px: 5,
  /** Entropy (nats) that gives the reference density; density scales with entropy. */
  referenceEntropy: 2,
  maxParticlesPerRibbon: 240,
  /** Energy per token mapped to colour on a log scale between these (J/token). */
  colourScale: [0.1, 3] as const,
  waveAmplitudePx: 10,
  waveLengthPx: 420
} as const;

/** Vertical offset of a ribbon's centre at x: a gentle wave, so the flow reads as flow. */
export function waveOffset(x: number, index: number): number {
  const d = EnergySceneDefaults;
  return d.waveAmplitudePx * Math.sin((2 * Math.PI * x) / d.waveLengthPx + index * 1.3);
}

/**
 * Places one ribbon per model, top to bottom in the given order, widths proportional to
 * throughput. No models → []. O(models).
 */
export function layoutRibbons(
  models: RibbonModel[],
  size: { width: number; height: number }
): RibbonLayout[] {
  const d = EnergySceneDefaults;
  if (models.length === 0) return [];
  const maxTps = Math.max(...models.map((m) => finiteOr(m.tokensPerSecond, 0)), 1e-9);
  const slot = (size.height - 2 * d.paddingPx) / models.length;
  const maxWidth = Math.max(
    d.minWidthPx,
    Math.min(d.maxWidthPx, slot - d.labelPx - 2 * d.waveAmplitudePx)
  );
  return models.map((m, i) => {
    const share = finiteOr(m.tokensPerSecond, 0) / maxTps;
    const width = share > 0 ? Math.max(d.minWidthPx, share * maxWidth) : 0;
    return {
      key: m.key,
      y: d.paddingPx + slot * i + d.labelPx + (slot - d.labelPx) / 2,
      half: width / 2,
      x0: d.paddingPx,
      x1: size.width - d.paddingPx
    };
  });
}

/** The ribbon under a point (with a few px of slack for thin ribbons), else -1. O(models). */
export function hitTestRibbon(layout: RibbonLayout[], x: number, y: number): number {
  for (let i = 0; i < layout.length; i++) {
    const r = layout[i];
    if (x < r.x0 || x > r.x1) continue;
    const centre = r.y + waveOffset(x, i);
    if (Math.abs(y - centre) <= Math.max(r.half, 6) + 2) return i;
  }
  return -1;
}

/**
 * Colour of an energy per token: teal (efficient) through amber to red (costly), on a log
 * scale over `colourScale`; grey when not measured. Lightness stays mid so white particles
 * and text on either theme keep their contrast.
 */
export function colourForEnergy(joulesPerToken: number | null): string {
  if (joulesPerToken === null || !(joulesPerToken > 0)) return 'hsl(210 8% 55%)';
  const [lo, hi] = EnergySceneDefaults.colourScale;
  const x = (Math.log(joulesPerToken) - Math.log(lo)) / (Math.log(hi) - Math.log(lo));
  const f = Math.min(1, Math.max(0, x));
  return `hsl(${Math.round(175 - 175 * f)} 70% 42%)`;
}

/** Particles of one ribbon: positions along it (0..1 of its length) and across (-1..1). */
interface Flow {
  along: Float32Array;
  across: Float32Array;
}

/**
 * Particle state across frames. `step` advances by elapsed time; `draw` paints ribbons
 * and particles. With `motion: false` particles sit at fixed, evenly spread places (the
 * reduced-motion picture), so the static view still shows density.
 */
export class EnergyScene {
  #models: RibbonModel[] = [];
  #layout: RibbonLayout[] = [];
  #flows = new Map<string, Flow>();
  #size = { width: 0, height: 0 };
  #seed = 0x9e3779b9;

  setSize(width: number, height: number): void {
    this.#size = { width, height };
    this.#relayout();
  }

  setModels(models: RibbonModel[]): void {
    this.#models = models;
    this.#relayout();
  }

  get layout(): RibbonLayout[] {
    return this.#layout;
  }

  /** Moves particles on by `dtMs` of flow. O(particles). */
  step(dtMs: number): void {
    const d = EnergySceneDefaults;
    const dt = Math.min(dtMs, 100) / 1000;
    for (let i = 0; i < this.#layout.length; i++) {
      const r = this.#layout[i];
      const flow = this.#flows.get(r.key);
      if (!flow) continue;
      const length = Math.max(1, r.x1 - r.x0);
      const speed = Math.min(
        d.maxSpeedPx,
        finiteOr(this.#models[i].tokensPerSecond, 0) * d.pxPerToken
      );
      const advance = (speed * dt) / length;
      for (let k = 0; k < flow.along.length; k++) {
        let a = flow.along[k] + advance;
        if (a >= 1) a -= Math.floor(a);
        flow.along[k] = a;
      }
    }
  }

  /**
   * Paints one frame. The still part (background, ribbons, labels) is painted once per
   * change into a layer and copied in each frame; only the particles are drawn per frame,
   * which keeps a frame cheap on a software-rendered canvas. `dpr` is the device pixel
   * ratio the context's transform already applies.
   */
  draw(ctx: Ctx2D, theme: EnergyTheme, dpr = 1): void {
    const layer = this.#stillLayer(theme, dpr);
    if (layer) {
      ctx.save();
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      ctx.drawImage(layer, 0, 0);
      ctx.restore();
    } else {
      this.#drawStill(ctx, theme);
    }
    ctx.fillStyle = 'rgba(255,255,255,0.9)';
    for (let i = 0; i < this.#layout.length; i++) {
      const r = this.#layout[i];
      const flow = this.#flows.get(r.key);
      if (!flow || r.half <= 0) continue;
      const length = r.x1 - r.x0;
      for (let k = 0; k < flow.along.length; k++) {
        const x = r.x0 + flow.along[k] * length;
        const y = r.y + waveOffset(x, i) + flow.across[k] * r.half * 0.8;
        ctx.fillRect(x - 1, y - 1, 2.5, 2.5);
      }
    }
  }

  #layer: OffscreenCanvas | null = null;
  #layerKey = '';
  #layerVersion = 0;

  /** The still layer at device resolution, repainted when models, size or theme change. */
  #stillLayer(theme: EnergyTheme, dpr: number): OffscreenCanvas | null {
    if (typeof OffscreenCanvas === 'undefined') return null;
    const w = Math.max(1, Math.round(this.#size.width * dpr));
    const h = Math.max(1, Math.round(this.#size.height * dpr));
    const key = `${this.#layerVersion}|${w}|${h}|${dpr}|${theme.text}|${theme.background}`;
    if (this.#layer && key === this.#layerKey) return this.#layer;
    if (!this.#layer || this.#layer.width !== w || this.#layer.height !== h) {
      this.#layer = new OffscreenCanvas(w, h);
    }
    const ctx = this.#layer.getContext('2d');
    if (!ctx) return null;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    this.#drawStill(ctx, theme);
    this.#layerKey = key;
    return this.#layer;
  }

  #drawStill(ctx: Ctx2D, theme: EnergyTheme): void {
    const { width, height } = this.#size;
    ctx.fillStyle = theme.background;
    ctx.fillRect(0, 0, width, height);
    ctx.font = '12px system-ui, sans-serif';
    ctx.textBaseline = 'bottom';
    for (let i = 0; i < this.#layout.length; i++) {
      const r = this.#layout[i];
      const m = this.#models[i];
      ctx.fillStyle = theme.text;
      ctx.fillText(
        m.label,
        r.x0,
        r.y - EnergySceneDefaults.waveAmplitudePx - Math.max(r.half, 2) - 2
      );
      if (r.half > 0) this.#drawRibbon(ctx, r, i, colourForEnergy(m.joulesPerToken));
    }
  }

  #drawRibbon(ctx: Ctx2D, r: RibbonLayout, index: number, colour: string): void {
    const stepPx = 12;
    ctx.beginPath();
    for (let x = r.x0; x <= r.x1; x += stepPx) ctx.lineTo(x, r.y + waveOffset(x, index) - r.half);
    for (let x = r.x1; x >= r.x0; x -= stepPx) ctx.lineTo(x, r.y + waveOffset(x, index) + r.half);
    ctx.closePath();
    ctx.fillStyle = colour;
    ctx.fill();
  }

  #relayout(): void {
    this.#layerVersion++;
    this.#layout = layoutRibbons(this.#models, this.#size);
    const keep = new Set<string>();
    for (let i = 0; i < this.#layout.length; i++) {
      const r = this.#layout[i];
      const m = this.#models[i];
      keep.add(r.key);
      const want = particleCount(m, r);
      const old = this.#flows.get(r.key);
      if (old && old.along.length === want) continue;
      const flow: Flow = { along: new Float32Array(want), across: new Float32Array(want) };
      for (let k = 0; k < want; k++) {
        // Keep the particles a ribbon already had; spread new ones evenly with jitter.
        flow.along[k] =
          old && k < old.along.length ? old.along[k] : (k + this.#random() * 0.5) / want;
        flow.across[k] = old && k < old.across.length ? old.across[k] : this.#random() * 2 - 1;
      }
      this.#flows.set(r.key, flow);
    }
    for (const key of this.#flows.keys()) if (!keep.has(key)) this.#flows.delete(key);
  }

  /** xorshift32: deterministic placement, so the static picture is the same every time. */
  #random(): number {
    let x = this.#seed;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.#seed = x >>> 0;
    return this.#seed / 0x1_0000_0000;
  }
}

/** Particles for a ribbon: length × density, density ∝ entropy (flat when none reported). */
export function particleCount(m: RibbonModel, r: RibbonLayout): number {
  const d = EnergySceneDefaults;
  if (r.half <= 0) return 0;
  const density = m.entropy === null ? 1 : Math.max(0.1, m.entropy / d.referenceEntropy);
  const n = Math.round(((r.x1 - r.x0) / 100) * d.particlesPer100Px * density);
  return Math.min(d.maxParticlesPerRibbon, Math.max(0, n));
}

function finiteOr(v: number, fallback: number): number {
  return Number.isFinite(v) ? v : fallback;
}

/**
 * The animation loop shared by the worker and the main-thread fallback: with motion, a
 * frame per animation frame (particles stepped by the time that passed); without, one
 * draw per change. Counts frames drawn and model updates for the page's reports.
 */
export class EnergyLoop {
  frames = 0;
  updates = 0;
  motion: boolean;
  #frame = 0;
  #last = 0;

  constructor(
    private readonly scene: EnergyScene,
    private readonly options: {
      /** Where to draw now: the context, its device pixel ratio and colours (null: not yet). */
      target: () => {
        ctx: Ctx2D;
        dpr: number;
        theme: EnergyTheme;
      } | null;
      nextFrame: (cb: (now: number) => void) => number;
      motion: boolean;
    }
  ) {
    this.motion = options.motion;
  }

  setModels(models: RibbonModel[]): void {
    this.updates++;
    this.scene.setModels(models);
    this.restart();
  }

  setMotion(motion: boolean): void {
    this.motion = motion;
    this.restart();
  }

  /** Draws a change at once when still; with motion the next frame shows it. */
  restart(): void {
    this.#last = 0;
    if (!this.motion) this.#draw();
    else if (!this.#frame) this.#frame = this.options.nextFrame(this.#tick);
  }

  #draw(): void {
    const target = this.options.target();
    if (!target) return;
    target.ctx.setTransform(target.dpr, 0, 0, target.dpr, 0, 0);
    this.scene.draw(target.ctx, target.theme, target.dpr);
    this.frames++;
  }

  #tick = (now: number): void => {
    this.#frame = 0;
    if (!this.motion) return;
    this.scene.step(this.#last ? now - this.#last : 0);
    this.#last = now;
    this.#draw();
    this.#frame = this.options.nextFrame(this.#tick);
  };
}
