/** Render rows as an aligned plain-text table (for the terminal) or as a Markdown table (for the README). */

export type Row = readonly string[];

export const textTable = (header: Row, rows: readonly Row[]): string => {
  const widths = header.map((cell, column) =>
    Math.max(cell.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (row: Row) =>
    row
      .map((cell, column) =>
        column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0),
      )
      .join('  ');
  return [line(header), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)].join('\n');
};

export const markdownTable = (header: Row, rows: readonly Row[]): string => {
  const escapeCell = (cell: string) => cell.replaceAll('|', '\\|');
  const line = (row: Row) => `| ${row.map(escapeCell).join(' | ')} |`;
  const align = header.map((_, column) => (column === 0 ? '---' : '---:'));
  return [line(header), `| ${align.join(' | ')} |`, ...rows.map(line)].join('\n');
};
