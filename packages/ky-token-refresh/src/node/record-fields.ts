/** The check of a record read back from a shared store (a credentials file, Redis): its fields' types. */

const optional = (value: unknown, valid: (value: unknown) => boolean): boolean =>
  value === undefined || valid(value);
const isFiniteNumber = (value: unknown): boolean => typeof value === 'number' && Number.isFinite(value);
const isString = (value: unknown): boolean => typeof value === 'string';

/** The first field of `value` that is not what a `TokenRecord` holds (`undefined`: a valid record). Never its value. */
export const invalidField = (value: unknown): string | undefined => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'record';
  const record = value as Record<string, unknown>;
  const generation = record.generation;
  if (!Number.isSafeInteger(generation) || (generation as number) < 0) return 'generation';
  if (record.token !== null && typeof record.token !== 'string') return 'token';
  if (!optional(record.expiresAt, isFiniteNumber)) return 'expiresAt';
  if (!optional(record.issuedAt, isFiniteNumber)) return 'issuedAt';
  if (!optional(record.epoch, isFiniteNumber)) return 'epoch';
  if (!optional(record.reason, (reason) => reason === 'logout' || reason === 'expired')) return 'reason';
  if (!optional(record.withheld, (withheld) => typeof withheld === 'boolean')) return 'withheld';
  if (!optional(record.refreshToken, isString)) return 'refreshToken';
  return undefined;
};
