import type { Remote } from 'comlink';
import { describe, expectTypeOf, it } from 'vitest';
import type { RuleError } from '$lib/alerts/types';
import type { AlertHistoryEntry } from '$lib/db/alert-store';
import type { EngineApi } from '$lib/workers/engine/api';
import type { AlertOverview, AlertPassStats, AlertRuleView } from '$lib/workers/engine/alerts';

// Compile-only checks (STYLE.md): the alert methods answer the page with plain data.
describe('alert engine types', () => {
  it('the remote engine serves the alert methods the page calls', () => {
    type R = Remote<EngineApi>;
    expectTypeOf<ReturnType<R['listAlertRules']>>().toEqualTypeOf<Promise<AlertRuleView[]>>();
    expectTypeOf<ReturnType<R['listAlertHistory']>>().toEqualTypeOf<Promise<AlertHistoryEntry[]>>();
    expectTypeOf<ReturnType<R['alertOverview']>>().toEqualTypeOf<Promise<AlertOverview>>();
    expectTypeOf<ReturnType<R['runAlertPass']>>().toEqualTypeOf<Promise<AlertPassStats>>();
    expectTypeOf<Awaited<ReturnType<R['saveAlertRule']>>>().toEqualTypeOf<
      { ok: true; id: string; warnings: string[] } | { ok: false; error: RuleError }
    >();
  });
});
