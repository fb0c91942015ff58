// Categories and spike families: the label values of SPEC "Classification", defined once.

export const CATEGORIES = [
  'success',
  'upgrade',
  'client',
  'server',
  'business_quota',
  'platform_auth',
  'system',
  'unknown',
] as const;
export type Category = (typeof CATEGORIES)[number];

export const FAMILIES = ['server', 'platform'] as const;
export type Family = (typeof FAMILIES)[number];

export function isCategory(value: string): value is Category {
  return (CATEGORIES as readonly string[]).includes(value);
}

/** The spike family a category belongs to, or undefined when its errors never page anyone. */
export function familyOf(category: Category): Family | undefined {
  if (category === 'server' || category === 'system') return 'server';
  if (category === 'platform_auth') return 'platform';
  return undefined;
}

/** Category of a code that is not in the table, decided by its numeric shape (SPEC table, right column). */
export function categoryByShape(code: number): Category {
  if (code >= 202 && code <= 299) return 'success';
  if (code === 200 || code === 201) return 'success';
  if (code >= 300 && code <= 399) return 'upgrade';
  if ((code >= 400 && code <= 499) || (code >= 4000 && code <= 4999) || (code >= 40000 && code <= 49999)) {
    return 'client';
  }
  if ((code >= 500 && code <= 599) || (code >= 5000 && code <= 5999) || (code >= 50000 && code <= 59999)) {
    return 'server';
  }
  if (code >= 500000 && code <= 500999) return 'platform_auth';
  if (code >= 100000 && code <= 199999) return 'business_quota';
  return 'unknown';
}
