// The dimensions of SPEC "Breakdowns": what each is called, where it is read, and how its values are shaped.
// Defined once here; flags, the extractors, the counters and the faces read them from here.

/** How a dimension's raw value becomes its label value. */
export type DimensionKind = 'route' | 'method' | 'plain';

export interface DimensionSpec {
  /** The label name, and the metric's middle: errcode_<name>_responses_total{<name>, code, category}. */
  readonly name: string;
  /** Dotted paths looked up in order, split: the first that exists in a line wins (as for the code). */
  readonly paths: readonly (readonly string[])[];
  readonly kind: DimensionKind;
}

const dimension = (name: string, kind: DimensionKind, paths: readonly string[]): DimensionSpec => ({ name, kind, paths: paths.map((p) => p.split('.')) });

export const DEFAULT_DIMENSIONS: readonly DimensionSpec[] = [
  dimension('route', 'route', ['route', 'path', 'uri', 'url', 'request.path', 'request.uri']),
  dimension('app', 'plain', ['appKey', 'app_key', 'appId', 'app_id', 'clientId', 'client_id', 'consumer']),
  dimension('method', 'method', ['method', 'request.method', 'httpMethod']),
];

/** Label names a dimension cannot take: the other labels of its series, and Prometheus's own. */
export const RESERVED_LABEL_NAMES: readonly string[] = ['code', 'category', 'outcome', 'family', 'le', 'instance', 'job'];

/** Each dimension costs every line a lookup and adds a metric family. */
export const MAX_DIMENSIONS = 8;

/** The kind of a dimension given by name: `route` and `method` are shaped as the defaults of that name are. */
export function kindOf(name: string): DimensionKind {
  return name === 'route' ? 'route' : name === 'method' ? 'method' : 'plain';
}
