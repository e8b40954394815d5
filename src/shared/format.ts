// Formatting shared by the CLI and the UI, so both say "3.2 GB" the same way.

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];

/** Bytes in SI units, one decimal above 10 units ("980 B", "3.2 GB", "12 MB"). */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  // Decide the decimals on the rounded value, so 9.97 GB reads "10 GB", not "10.0 GB".
  const digits = unit === 0 || Math.abs(Number(value.toFixed(1))) >= 10 ? 0 : 1;
  return `${value.toFixed(digits)} ${UNITS[unit]}`;
}

/** The first characters of a blob ID, as shown in lists. */
export function shortBlobId(blobId: string): string {
  return blobId.slice(0, 12);
}
