/** Whether this browser's PerformanceObserver knows an entry type. */
export function supportsEntryType(type: string): boolean {
  return (
    typeof PerformanceObserver !== 'undefined' &&
    (PerformanceObserver.supportedEntryTypes ?? []).includes(type)
  );
}
