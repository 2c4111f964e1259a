/**
 * The HTML report: one self-contained page (inline SVG figures, inline CSS,
 * no scripts, no external links) with a title, an introduction, sections of
 * text, figures and tables, and the configurations. Pure and browser-safe.
 *
 * All text is escaped. The markup subset for `intro` and section `text` is:
 * paragraphs separated by blank lines, and `code` spans in backticks.
 */

import { renameSvgIds } from './svg-ids.js';

/** A figure of a section: an SVG document from renderSvg, and a caption. */
export interface ReportFigure {
  /** A short name, unique in the report (also the base name of figures/NAME.svg). */
  name: string;
  svg: string;
  caption?: string;
}

/** How a table column formats its numbers (see `formatCell`). */
export type ColumnFormat = 'auto' | 'sci' | 'int' | 'fixed' | 'text' | 'json';

/** A table column. */
export interface ReportColumn {
  /** Key of the rows' value. */
  key: string;
  /** Header text. */
  title: string;
  format?: ColumnFormat;
  /** Key of a standard deviation: the cell shows `value ± std`. */
  std?: string;
}

/** A table: columns and plain-object rows. */
export interface ReportTable {
  caption?: string;
  columns: readonly ReportColumn[];
  rows: readonly Readonly<Record<string, unknown>>[];
}

/** A section of the report. */
export interface ReportSection {
  heading: string;
  /** Plain text with paragraphs and `code` spans. */
  text?: string;
  figures?: readonly ReportFigure[];
  tables?: readonly ReportTable[];
}

/** A configuration shown verbatim as JSON. */
export interface ReportConfig {
  title: string;
  json: unknown;
}

/** Everything a report shows. */
export interface Report {
  title: string;
  intro?: string;
  sections: readonly ReportSection[];
  configs?: readonly ReportConfig[];
}

/**
 * Escapes text for HTML content and attribute values.
 *
 * @example
 * escapeHtml('<script>"x" & y</script>'); // '&lt;script&gt;&quot;x&quot; &amp; y&lt;/script&gt;'
 */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/**
 * A number with 3 significant digits: plain when 1e-3 <= |x| < 1e3
 * (`0.0123`, `12.3`, `123`), scientific otherwise (`1.23e-5`, `1.23e+3`);
 * integers below 1e6 are shown whole (`12`, `123456`). 0 → `0`,
 * NaN → `NaN`, ±Infinity → `∞` / `−∞`.
 *
 * @example
 * formatNumber(0.000012345); // '1.23e-5'
 * formatNumber(0.5);         // '0.500'
 * formatNumber(42);          // '42'
 */
export function formatNumber(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return '∞';
  if (x === -Infinity) return '−∞';
  if (x === 0) return '0';
  if (Number.isInteger(x) && Math.abs(x) < 1e6) return String(x);
  const a = Math.abs(x);
  if (a >= 1e-3 && a < 1e3) {
    const s = x.toPrecision(3);
    // toPrecision rounds up into exponent form near the top (999.7 → "1.00e+3").
    return s.includes('e') ? formatSci(x) : s;
  }
  return formatSci(x);
}

/** `x` in scientific notation with 3 significant digits, e.g. 1.23e-5, 4.00e+0. */
function formatSci(x: number): string {
  return x.toExponential(2);
}

/**
 * The text of one table cell. null or undefined → `—`. Formats:
 * - `auto` (default): numbers by `formatNumber`, other values as `text`;
 * - `sci`: numbers always scientific with 3 significant digits (`1.00e+0`);
 * - `int`: numbers rounded to integers;
 * - `fixed`: numbers with 3 decimals;
 * - `text`: `String(value)` (objects as compact JSON);
 * - `json`: compact JSON.
 *
 * @example
 * formatCell(1.5e-7, 'auto'); // '1.50e-7'
 * formatCell(null);           // '—'
 * formatCell(17.6, 'int');    // '18'
 */
export function formatCell(value: unknown, format: ColumnFormat = 'auto'): string {
  if (value === null || value === undefined) return '—';
  if (format === 'json') return JSON.stringify(value) ?? '—';
  if (typeof value === 'number') {
    switch (format) {
      case 'sci':
        return Number.isFinite(value) ? formatSci(value) : formatNumber(value);
      case 'int':
        return Number.isFinite(value) ? String(Math.round(value)) : formatNumber(value);
      case 'fixed':
        return Number.isFinite(value) ? value.toFixed(3) : formatNumber(value);
      case 'text':
        return String(value);
      default:
        return formatNumber(value);
    }
  }
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value) ?? String(value);
}

/**
 * The markup subset: paragraphs (blank-line separated) and `code` spans.
 *
 * @example
 * textHtml('See `results.jsonl`.\n\nSecond paragraph.');
 * // '<p>See <code>results.jsonl</code>.</p>\n<p>Second paragraph.</p>'
 */
export function textHtml(text: string): string {
  return text
    .split(/\n\s*\n/)
    .map((p) => p.trim())
    .filter((p) => p.length > 0)
    .map((p) => {
      const parts = p.split('`');
      // An odd number of parts means balanced backticks: odd indices are code.
      const html = parts.length % 2 === 1
        ? parts.map((s, i) => (i % 2 === 1 ? `<code>${escapeHtml(s)}</code>` : escapeHtml(s))).join('')
        : escapeHtml(p);
      return `<p>${html}</p>`;
    })
    .join('\n');
}

/**
 * An SVG document ready to inline: no XML prolog or doctype, ids prefixed
 * with `prefix` so that figures do not share clip paths. Refuses scripts,
 * event-handler attributes and foreign objects (a report has no scripts).
 */
function inlineSvg(svg: string, prefix: string, name: string): string {
  const body = svg.replace(/^\s*<\?xml[^>]*>\s*/, '').replace(/^\s*<!DOCTYPE[^>]*>\s*/i, '').trim();
  if (!body.startsWith('<svg')) throw new Error(`reportHtml: figure ${JSON.stringify(name)} is not an SVG document`);
  if (/<script|<foreignObject|<[^>]*\son[a-z]+\s*=|<[^>]*javascript:/i.test(body)) {
    throw new Error(`reportHtml: figure ${JSON.stringify(name)} contains a script or event handler`);
  }
  return renameSvgIds(body, (id) => `${prefix}-${id}`);
}

/** A slug for an HTML id: lowercase letters, digits and dashes. */
function slug(text: string, used: Set<string>): string {
  const base = text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '') || 'section';
  let s = base;
  for (let i = 2; used.has(s); i++) s = `${base}-${i}`;
  used.add(s);
  return s;
}

function tableHtml(t: ReportTable): string {
  const numeric = (c: ReportColumn): boolean =>
    c.format !== 'json' && t.rows.some((r) => typeof r[c.key] === 'number');
  const head = t.columns.map((c) => `<th${numeric(c) ? ' class="num"' : ''}>${escapeHtml(c.title)}</th>`).join('');
  const body = t.rows
    .map((r) => {
      const cells = t.columns.map((c) => {
        let text = formatCell(r[c.key], c.format);
        if (c.std !== undefined && r[c.key] !== null && r[c.key] !== undefined) {
          const sd = r[c.std];
          if (sd !== null && sd !== undefined) text += ` ± ${formatCell(sd, c.format)}`;
        }
        return `<td${numeric(c) ? ' class="num"' : ''}>${escapeHtml(text)}</td>`;
      });
      return `<tr>${cells.join('')}</tr>`;
    })
    .join('\n');
  const caption = t.caption ? `<caption>${escapeHtml(t.caption)}</caption>` : '';
  return `<div class="table-wrap"><table>${caption}<thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody></table></div>`;
}

const CSS = `
:root { color-scheme: light; }
body { font-family: "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; color: #222; background: #fff;
  max-width: 1100px; margin: 2rem auto; padding: 0 1.5rem; line-height: 1.5; font-size: 15px; }
h1 { font-size: 1.6rem; margin-bottom: 0.5rem; }
h2 { font-size: 1.25rem; margin-top: 2.2rem; border-bottom: 1px solid #ddd; padding-bottom: 0.2rem; }
nav ul { padding-left: 1.2rem; }
code, pre { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 0.88em; }
code { background: #f3f3f3; padding: 0 0.25em; border-radius: 3px; }
pre { background: #f7f7f7; padding: 0.8rem; overflow-x: auto; border: 1px solid #e5e5e5; border-radius: 4px; }
figure { margin: 1.2rem 0; }
figure svg { max-width: 100%; height: auto; }
figcaption { font-size: 0.9em; color: #555; margin-top: 0.3rem; }
.table-wrap { overflow-x: auto; margin: 1rem 0; }
table { border-collapse: collapse; font-size: 0.85em; }
caption { text-align: left; color: #555; padding-bottom: 0.3rem; }
th, td { padding: 0.2rem 0.6rem; border-bottom: 1px solid #e5e5e5; text-align: left; white-space: nowrap; }
th { border-bottom: 2px solid #bbb; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
details { margin: 0.6rem 0; }
summary { cursor: pointer; }
`.trim();

/**
 * The report as one self-contained HTML page: figures inlined as SVG (ids
 * prefixed per figure), tables, configurations as JSON in collapsible blocks,
 * a table of contents. No scripts, no external resources.
 *
 * @throws Error when a figure is not an SVG document or contains a script.
 * @example
 * const html = reportHtml({
 *   title: 'Depth sweep',
 *   intro: 'Runs from `results.jsonl`.',
 *   sections: [{ heading: 'Error', figures: [{ name: 'err', svg, caption: 'mean ± std over 5 seeds' }] }],
 *   configs: [{ title: 'config', json: config }],
 * });
 */
export function reportHtml(r: Report): string {
  const used = new Set<string>();
  let figureCount = 0;
  const sections = r.sections.map((s) => {
    const id = slug(s.heading, used);
    const parts: string[] = [`<section id="${id}">`, `<h2>${escapeHtml(s.heading)}</h2>`];
    if (s.text) parts.push(textHtml(s.text));
    for (const f of s.figures ?? []) {
      figureCount++;
      const fid = slug(`figure-${f.name}`, used);
      parts.push(
        `<figure id="${fid}">\n${inlineSvg(f.svg, `f${figureCount}`, f.name)}\n` +
          (f.caption ? `<figcaption>${escapeHtml(f.caption)}</figcaption>\n` : '') +
          '</figure>',
      );
    }
    for (const t of s.tables ?? []) parts.push(tableHtml(t));
    parts.push('</section>');
    return { id, heading: s.heading, html: parts.join('\n') };
  });
  const configs = (r.configs ?? []).map(
    (c) =>
      `<details><summary>${escapeHtml(c.title)}</summary>\n<pre>${escapeHtml(JSON.stringify(c.json, null, 2) ?? 'undefined')}</pre></details>`,
  );
  const configId = configs.length > 0 ? slug('configuration', used) : '';
  const toc = [
    ...sections.map((s) => `<li><a href="#${s.id}">${escapeHtml(s.heading)}</a></li>`),
    ...(configs.length > 0 ? [`<li><a href="#${configId}">Configuration</a></li>`] : []),
  ];
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(r.title)}</title>`,
    `<style>\n${CSS}\n</style>`,
    '</head>',
    '<body>',
    `<h1>${escapeHtml(r.title)}</h1>`,
    r.intro ? textHtml(r.intro) : '',
    toc.length > 1 ? `<nav><ul>\n${toc.join('\n')}\n</ul></nav>` : '',
    ...sections.map((s) => s.html),
    configs.length > 0 ? `<section id="${configId}">\n<h2>Configuration</h2>\n${configs.join('\n')}\n</section>` : '',
    '</body>',
    '</html>',
    '',
  ]
    .filter((line) => line !== '')
    .join('\n') + '\n';
}
