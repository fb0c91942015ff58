// The alert state every face reads: the detector's windows and counters, and the firing event of each
// family's current incident.
import type { Family } from '../codes/category.js';
import type { SpikeDetector } from './detector.js';
import type { AlertEvent, TopLabel } from './events.js';

export class AlertState {
  private readonly firingByFamily = new Map<Family, AlertEvent>();

  constructor(readonly detector: SpikeDetector) {}

  /** Keeps track of which incidents are open. */
  apply(events: readonly AlertEvent[]): void {
    for (const e of events) {
      if (e.status === 'firing') this.firingByFamily.set(e.family, e);
      else this.firingByFamily.delete(e.family);
    }
  }

  /** The firing event of each open incident. */
  firing(): AlertEvent[] {
    return [...this.firingByFamily.values()];
  }

  ratio(family: Family): number {
    return this.detector.ratio(family);
  }

  active(family: Family): boolean {
    return this.detector.active(family);
  }

  firedTotal(family: Family): number {
    return this.detector.firedTotal(family);
  }

  /** Per dimension, the values with the most of the family's responses in the current window. */
  topLabels(family: Family): Record<string, TopLabel[]> {
    return this.detector.topLabels(family);
  }

  /** The share of all responses in the window at which the family fires now: the ratio floor or its baseline's multiple. */
  threshold(family: Family): number {
    return this.detector.threshold(family);
  }
}
