/**
 * A Markdown table on stdout, columns padded to their widest cell (what the benches print).
 *
 * @example
 * printTable(['case', 'ms'], [['gd', '0.14']]);
 * // | case | ms   |
 * // | ---- | ---- |
 * // | gd   | 0.14 |
 */
export function printTable(header: string[], rows: string[][]): void {
  const width = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string => `| ${cells.map((x, i) => x.padEnd(width[i])).join(' | ')} |`;
  console.log(line(header));
  console.log(`| ${width.map((w) => '-'.repeat(w)).join(' | ')} |`);
  for (const r of rows) console.log(line(r));
}
