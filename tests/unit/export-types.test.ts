import type { Remote } from 'comlink';
import { describe, expectTypeOf, it } from 'vitest';
import type { EngineApi } from '$lib/workers/engine/api';
import type { ExportOutcome, ExportProgress, ExportSpec } from '$lib/export/types';

// Compile-only checks of the export surface of the engine worker (STYLE.md: like Comlink's
// tests/type-checks.ts): plain data in, plain data and Blobs out.
describe('export worker types', () => {
  it('the remote engine runs and cancels exports', () => {
    type R = Remote<EngineApi>;
    expectTypeOf<Parameters<R['runExport']>[0]>().toEqualTypeOf<ExportSpec>();
    expectTypeOf<ReturnType<R['runExport']>>().toEqualTypeOf<Promise<ExportOutcome>>();
    expectTypeOf<ReturnType<R['cancelExport']>>().resolves.toBeBoolean();
    expectTypeOf<ExportOutcome['files'][number]['blob']>().toEqualTypeOf<Blob>();
    expectTypeOf<ExportProgress['phase']>().toEqualTypeOf<'reading' | 'encrypting' | 'done'>();
  });
});
