// Where code, HTTP status and event time are looked up (SPEC "Input"): the first path that exists wins.

export interface FieldPaths {
  readonly code: readonly (readonly string[])[];
  readonly status: readonly (readonly string[])[];
  readonly time: readonly (readonly string[])[];
  /** Per dimension (SPEC "Breakdowns"), its lookup list. */
  readonly dims: readonly (readonly (readonly string[])[])[];
}

export const DEFAULT_CODE_PATHS = ['code', 'response.code', 'body.code'];
export const DEFAULT_STATUS_PATHS = ['status', 'statusCode', 'http_status', 'httpStatus'];
export const DEFAULT_TIME_PATHS = ['ts', 'time', 'timestamp', '@timestamp'];

export function splitPath(dotted: string): string[] {
  return dotted.split('.');
}

export function fieldPaths(code?: string, status?: string, time?: string, dims: FieldPaths['dims'] = []): FieldPaths {
  return {
    code: (code ? [code] : DEFAULT_CODE_PATHS).map(splitPath),
    status: (status ? [status] : DEFAULT_STATUS_PATHS).map(splitPath),
    time: (time ? [time] : DEFAULT_TIME_PATHS).map(splitPath),
    dims,
  };
}

export const DEFAULT_PATHS = fieldPaths();
