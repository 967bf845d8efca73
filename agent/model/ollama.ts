/**
 * Ollama's HTTP API (docs/api.md in ollama/ollama). Ollama has no `/metrics`; it tells which
 * models are loaded (`GET /api/ps`) and reports each request's timings in the final object
 * of `/api/generate` and `/api/chat` (durations in nanoseconds):
 * `total_duration`, `load_duration`, `prompt_eval_count`, `prompt_eval_duration`,
 * `eval_count`, `eval_duration`; "tokens per second = eval_count / eval_duration * 10^9".
 * The agent polls the first and reads the second when a program forwards that final object
 * to `POST /v1/events` as a `model_process` record.
 */

/** One entry of `GET /api/ps`. */
export interface OllamaLoadedModel {
  name: string;
  size?: number;
  sizeVram?: number;
}

/**
 * Reads a `GET /api/ps` body. Entries without a name are skipped; a body that is not the
 * documented shape → undefined. O(models).
 * @example parseOllamaPs({ models: [{ name: 'llama3.2', size: 5, size_vram: 5 }] })
 */
export function parseOllamaPs(body: unknown): OllamaLoadedModel[] | undefined {
  if (!body || typeof body !== 'object' || !Array.isArray((body as { models?: unknown }).models)) {
    return undefined;
  }
  const out: OllamaLoadedModel[] = [];
  for (const m of (body as { models: unknown[] }).models) {
    if (!m || typeof m !== 'object') continue;
    const r = m as Record<string, unknown>;
    const name = typeof r.name === 'string' ? r.name : typeof r.model === 'string' ? r.model : '';
    if (!name) continue;
    out.push({ name, size: finite(r.size), sizeVram: finite(r.size_vram) });
  }
  return out;
}

/** Timing figures of one Ollama response, in Tidemark's units. */
export interface OllamaTimings {
  tokens?: number;
  promptTokens?: number;
  tokensPerSecond?: number;
  promptTokensPerSecond?: number;
  /** Load plus prompt evaluation: the server-side time before the first token. */
  ttftMs?: number;
  durationMs?: number;
  loadMs?: number;
}

const NsPerMs = 1e6;

/**
 * Converts the timing fields of an Ollama final response (nanoseconds) into figures.
 * Fields absent or not numbers stay absent; a zero duration gives no rate. O(1).
 * @example readOllamaTimings({ eval_count: 259, eval_duration: 4_232_710_000 }).tokensPerSecond // ≈ 61.19
 */
export function readOllamaTimings(r: Record<string, unknown>): OllamaTimings {
  const evalCount = finite(r.eval_count);
  const evalNs = finite(r.eval_duration);
  const promptCount = finite(r.prompt_eval_count);
  const promptNs = finite(r.prompt_eval_duration);
  const loadNs = finite(r.load_duration);
  const totalNs = finite(r.total_duration);
  const out: OllamaTimings = {};
  if (evalCount !== undefined) out.tokens = evalCount;
  if (promptCount !== undefined) out.promptTokens = promptCount;
  if (evalCount !== undefined && evalNs) out.tokensPerSecond = (evalCount / evalNs) * 1e9;
  if (promptCount !== undefined && promptNs) {
    out.promptTokensPerSecond = (promptCount / promptNs) * 1e9;
  }
  if (promptNs !== undefined) out.ttftMs = ((loadNs ?? 0) + promptNs) / NsPerMs;
  if (totalNs !== undefined) out.durationMs = totalNs / NsPerMs;
  if (loadNs !== undefined) out.loadMs = loadNs / NsPerMs;
  return out;
}

function finite(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined;
}
