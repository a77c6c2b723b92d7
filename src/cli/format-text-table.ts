/**
 * Renders rows of cells as an aligned text table: columns two spaces apart,
 * each as wide as its widest cell, no trailing spaces. The first row is the
 * header. Widths count UTF-16 code units, which is right for the ASCII the
 * CLI's tables hold.
 *
 * @example
 * ```ts
 * formatTextTable([['name', 'state'], ['20260101120000_tax_rates', 'applied']])
 * // "name                      state\n20260101120000_tax_rates  applied\n"
 * ```
 */
export function formatTextTable(rows: readonly (readonly string[])[]): string {
  const columns = Math.max(0, ...rows.map((row) => row.length))
  const widths = Array.from({ length: columns }, (_, column) => Math.max(...rows.map((row) => row[column]?.length ?? 0)))
  return rows
    .map((row) => row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd())
    .join('\n')
    .concat('\n')
}
