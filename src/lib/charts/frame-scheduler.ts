/**
 * At most one render per chart per animation frame, and none while a chart is off screen.
 *
 * Change notices can arrive many times a frame at high load; each only marks its charts
 * dirty. One requestAnimationFrame callback then draws every dirty chart that is visible
 * (IntersectionObserver); a chart that was off screen keeps its dirty mark and is drawn
 * when it scrolls back in.
 */

/** Something the scheduler can draw. */
export interface Drawable {
  draw(): void;
}

export class FrameScheduler {
  #dirty = new Set<Drawable>();
  #visible = new Set<Drawable>();
  #byElement = new Map<Element, Drawable>();
  #frame = 0;
  #observer: IntersectionObserver | null = null;
  /** Frames drawn and charts drawn, for tests and benchmarks. */
  readonly stats = { frames: 0, draws: 0, skippedOffscreen: 0 };

  /** Starts drawing `drawable` when `element` is on screen; returns the undo. */
  observe(element: Element, drawable: Drawable): () => void {
    this.#observer ??= new IntersectionObserver((entries) => this.#intersected(entries), {
      rootMargin: '100px'
    });
    this.#byElement.set(element, drawable);
    this.#observer.observe(element);
    return () => {
      this.#observer?.unobserve(element);
      this.#byElement.delete(element);
      this.#visible.delete(drawable);
      this.#dirty.delete(drawable);
    };
  }

  /** Marks a chart dirty; it is drawn in the next frame if visible. */
  request(drawable: Drawable): void {
    this.#dirty.add(drawable);
    if (this.#visible.has(drawable)) this.#schedule();
  }

  /** Marks every visible chart dirty (e.g. the live window slid). */
  requestVisible(): void {
    for (const d of this.#visible) this.#dirty.add(d);
    if (this.#visible.size) this.#schedule();
  }

  dispose(): void {
    cancelAnimationFrame(this.#frame);
    this.#observer?.disconnect();
    this.#observer = null;
    this.#dirty.clear();
    this.#visible.clear();
    this.#byElement.clear();
  }

  #intersected(entries: IntersectionObserverEntry[]): void {
    for (const entry of entries) {
      const d = this.#byElement.get(entry.target);
      if (!d) continue;
      if (entry.isIntersecting) {
        this.#visible.add(d);
        if (this.#dirty.has(d)) this.#schedule();
      } else this.#visible.delete(d);
    }
  }

  #schedule(): void {
    if (this.#frame) return;
    this.#frame = requestAnimationFrame(() => {
      this.#frame = 0;
      this.stats.frames++;
      for (const d of this.#dirty) {
        if (!this.#visible.has(d)) {
          this.stats.skippedOffscreen++;
          continue;
        }
        this.#dirty.delete(d);
        this.stats.draws++;
        d.draw();
      }
    });
  }
}
