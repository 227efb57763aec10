/** Small statistics helpers. Every figure the bench prints comes from samples taken in the same run. */

export const sorted = (values: readonly number[]): number[] => [...values].sort((a, b) => a - b);

/** Nearest-rank percentile (p in 0..100) of the samples; NaN for no samples. */
export const percentile = (values: readonly number[], p: number): number => {
  if (values.length === 0) return Number.NaN;
  const ordered = sorted(values);
  const rank = Math.min(ordered.length - 1, Math.max(0, Math.ceil((p / 100) * ordered.length) - 1));
  return ordered[rank] as number;
};

export const median = (values: readonly number[]): number => {
  if (values.length === 0) return Number.NaN;
  const ordered = sorted(values);
  const middle = Math.floor(ordered.length / 2);
  return ordered.length % 2 === 1
    ? (ordered[middle] as number)
    : ((ordered[middle - 1] as number) + (ordered[middle] as number)) / 2;
};

export const mean = (values: readonly number[]): number =>
  values.length === 0 ? Number.NaN : values.reduce((sum, value) => sum + value, 0) / values.length;

export const min = (values: readonly number[]): number =>
  values.length === 0 ? Number.NaN : Math.min(...values);
export const max = (values: readonly number[]): number =>
  values.length === 0 ? Number.NaN : Math.max(...values);

/** A number with a fixed count of decimals, or `n/a`. */
export const fixed = (value: number, digits = 1): string =>
  Number.isFinite(value) ? value.toFixed(digits) : 'n/a';

export const ms = (value: number, digits = 1): string =>
  Number.isFinite(value) ? `${fixed(value, digits)} ms` : 'n/a';

export const ratio = (value: number, digits = 2): string =>
  Number.isFinite(value) ? `${fixed(value, digits)}×` : 'n/a';

/** Bytes in kB of 1000 bytes (as size-limit counts), two decimals. */
export const kilobytes = (value: number): string =>
  Number.isFinite(value) ? `${(value / 1000).toFixed(2)} kB` : 'n/a';

/** Bytes in MiB (2^20 bytes), one decimal; `signed`: with a + or − (for a growth). */
export const mebibytes = (value: number, signed = false): string => {
  if (!Number.isFinite(value)) return 'n/a';
  const sign = signed ? (value < 0 ? '−' : '+') : value < 0 ? '−' : '';
  return `${sign}${(Math.abs(value) / 2 ** 20).toFixed(1)} MiB`;
};

export const sleep = (milliseconds: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, milliseconds));
