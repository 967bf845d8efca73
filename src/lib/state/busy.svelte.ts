/**
 * Work in this tab that a reload would kill (an import, an export). The update prompt
 * reads it so that accepting an update waits for the work to finish (RELIABILITY.md #9).
 */
class BusyWork {
  #labels = $state.raw<string[]>([]);

  /** Marks `label` as running; the returned function marks it done (safe to call twice). */
  begin(label: string): () => void {
    this.#labels = [...this.#labels, label];
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      const i = this.#labels.indexOf(label);
      if (i >= 0) this.#labels = this.#labels.toSpliced(i, 1);
    };
  }

  /** What is running now, e.g. ['an import']; empty when a reload loses nothing. */
  get running(): string[] {
    return this.#labels;
  }
}

/** One per tab: work in this tab is what a reload of this tab would end. */
export const busyWork = new BusyWork();
