/**
 * The diagnostic bundle: what a maintainer needs to understand a problem, and no data
 * values unless the user adds them. Settings are copied with every secret replaced by
 * "[redacted]" (keys matching `SecretKeyPattern`), series are listed by name, labels and
 * counts only, and errors are the app's own messages.
 */
export const DiagnosticFormat = { format: 'tidemark-diagnostic', version: 1 } as const;

/** Setting keys whose values are secrets (the agent pairing token and the like). */
export const SecretKeyPattern = /token|secret|password|key$/i;

export interface DiagnosticInput {
  createdAt: number;
  appVersion: string;
  userAgent: string;
  timeZone: string;
  settings: Record<string, unknown> | null;
  storage: { usage: number | null; quota: number | null; persisted: boolean | null };
  counts: Record<string, number> | null;
  series: {
    name: string;
    labels: Record<string, string>;
    unit: string;
    kind: string;
    source: string;
    category: string;
    points?: number;
    firstT?: number;
    lastT?: number;
  }[];
  errors: { at: number | null; where: string; message: string }[];
}

function redactSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value))
    out[k] = SecretKeyPattern.test(k) && v !== '' ? '[redacted]' : redactSecrets(v);
  return out;
}

/**
 * Writes the diagnostic bundle as pretty JSON.
 *
 * Empty input: empty lists, null figures. Complexity O(series + errors).
 * @example
 * JSON.parse(writeDiagnostic(input)).settings.agentToken // '[redacted]'
 */
export function writeDiagnostic(input: DiagnosticInput): string {
  const iso = (t: number | null | undefined) =>
    t === null || t === undefined || !Number.isFinite(t) ? null : new Date(t).toISOString();
  return (
    JSON.stringify(
      {
        ...DiagnosticFormat,
        createdAt: iso(input.createdAt),
        appVersion: input.appVersion,
        userAgent: input.userAgent,
        timeZone: input.timeZone,
        settings: redactSecrets(input.settings),
        storage: input.storage,
        counts: input.counts,
        series: input.series.map((s) => ({
          name: s.name,
          labels: s.labels,
          unit: s.unit,
          kind: s.kind,
          source: s.source,
          category: s.category,
          points: s.points ?? 0,
          first: iso(s.firstT),
          last: iso(s.lastT)
        })),
        errors: input.errors.map((e) => ({ ...e, at: iso(e.at) }))
      },
      null,
      2
    ) + '\n'
  );
}
