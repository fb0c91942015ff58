import { constants, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect, it } from 'vitest';
import { COLLECT_EVERY_MS, collectIfDue } from '../../dist/engine/collect.js';

const isMajor = (e: PerformanceEntry): boolean => (e.detail as { kind?: number } | undefined)?.kind === constants.NODE_PERFORMANCE_GC_MAJOR;

it('runs a full collection once COLLECT_EVERY_MS has passed since the last, and not before', async () => {
  const majors: PerformanceEntry[] = [];
  const observer = new PerformanceObserver((list) => majors.push(...list.getEntries().filter(isMajor)));
  observer.observe({ entryTypes: ['gc'] });
  try {
    const t = Date.now();
    expect(collectIfDue(t)).toBe(false);
    expect(collectIfDue(t + COLLECT_EVERY_MS + 1)).toBe(true);
    await sleep(50);
    expect(majors.length).toBeGreaterThanOrEqual(1);
    // The clock restarts at the collection just made.
    expect(collectIfDue(t + COLLECT_EVERY_MS + 2)).toBe(false);
    expect(collectIfDue(t + 2 * COLLECT_EVERY_MS + 1)).toBe(true);
  } finally {
    observer.disconnect();
  }
});
