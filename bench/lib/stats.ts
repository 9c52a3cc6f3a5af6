/** The p-th percentile (0–100) of `values` by nearest rank. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

/** Prints rows as an aligned text table (first row is the header). */
export function printTable(title: string, rows: Array<Array<string | number>>): void {
  const cells = rows.map((row) => row.map((cell) => String(cell)));
  const widths = cells[0].map((_, column) => Math.max(...cells.map((row) => row[column]?.length ?? 0)));
  const line = (row: string[]) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  const out = [`\n${title}`, line(cells[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line), ''];
  process.stdout.write(`${out.join('\n')}\n`);
}

export function verdict(ok: boolean): string {
  return ok ? 'MET' : 'MISSED';
}
