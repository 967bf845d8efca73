import type { Remote } from 'comlink';
import { describe, expectTypeOf, it } from 'vitest';
import type { EngineApi } from '$lib/workers/engine/api';
import type { ImportStoreApi } from '$lib/workers/engine/import';
import type { FileInspection, ImportSummary } from '$lib/workers/import-api';
import type { ImportWorkerEntryApi } from '$lib/workers/import.worker';

// Compile-only checks of what crosses the worker boundaries (STYLE.md: like Comlink's
// tests/type-checks.ts); vitest type-checks them through expectTypeOf.
describe('import worker types', () => {
  it('the engine serves everything the import worker calls over its port', () => {
    expectTypeOf<EngineApi>().toExtend<ImportStoreApi>();
    expectTypeOf<EngineApi['connectImportPort']>().parameter(0).toEqualTypeOf<MessagePort>();
  });

  it('the remote import worker answers with plain data', () => {
    type R = Remote<ImportWorkerEntryApi>;
    expectTypeOf<ReturnType<R['importFile']>>().toEqualTypeOf<Promise<ImportSummary>>();
    expectTypeOf<ReturnType<R['inspectFile']>>().toEqualTypeOf<Promise<FileInspection>>();
    expectTypeOf<ReturnType<R['cancel']>>().resolves.toBeBoolean();
  });
});
