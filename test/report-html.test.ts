/*
 * The HTML report page (src/report/html.ts): escaping of every text, number
 * formatting, the markup subset, self-containment (no scripts, no external
 * resources), and per-figure id prefixes so that inlined SVGs do not share
 * clip paths.
 */
import { describe, expect, it } from 'vitest';
import { escapeHtml, formatCell, formatNumber, reportHtml, textHtml } from '../src/report/html.js';
import { normalizeSvgIds, renameSvgIds } from '../src/report/svg-ids.js';

const SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><defs><clipPath id="clip1"><rect width="5" height="5"/></clipPath></defs><g clip-path="url(#clip1)"><text>id="clip1" &lt;b&gt;</text></g></svg>';

describe('formatting', () => {
  it('numbers to 3 significant digits, scientific when small or large', () => {
    expect(formatNumber(0.000012345)).toBe('1.23e-5');
    expect(formatNumber(0.5)).toBe('0.500');
    expect(formatNumber(0.0123456)).toBe('0.0123');
    expect(formatNumber(1234.5)).toBe('1.23e+3');
    expect(formatNumber(12345.6)).toBe('1.23e+4');
    expect(formatNumber(999.7)).toBe('1.00e+3');
    expect(formatNumber(123.4)).toBe('123');
    expect(formatNumber(42)).toBe('42');
    expect(formatNumber(2e6)).toBe('2.00e+6');
    expect(formatNumber(-0.000012345)).toBe('-1.23e-5');
    expect(formatNumber(0)).toBe('0');
    expect(formatNumber(NaN)).toBe('NaN');
    expect(formatNumber(Infinity)).toBe('∞');
  });

  it('cells: null as a dash, formats', () => {
    expect(formatCell(null)).toBe('—');
    expect(formatCell(undefined)).toBe('—');
    expect(formatCell(1.5e-7)).toBe('1.50e-7');
    expect(formatCell(1, 'sci')).toBe('1.00e+0');
    expect(formatCell(17.6, 'int')).toBe('18');
    expect(formatCell(0.001, 'text')).toBe('0.001');
    expect(formatCell(2, 'fixed')).toBe('2.000');
    expect(formatCell({ a: [1, 2] })).toBe('{"a":[1,2]}');
    expect(formatCell('x', 'json')).toBe('"x"');
    expect(formatCell(true)).toBe('true');
  });

  it('text: paragraphs and code spans, escaped', () => {
    expect(textHtml('See `a<b>`.\n\nSecond & last.')).toBe('<p>See <code>a&lt;b&gt;</code>.</p>\n<p>Second &amp; last.</p>');
    // An unbalanced backtick stays literal.
    expect(textHtml('one ` tick')).toBe('<p>one ` tick</p>');
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });
});

describe('reportHtml', () => {
  const report = {
    title: 'T <script>alert(1)</script>',
    intro: 'Intro with `code` & <b>',
    sections: [
      {
        heading: 'Results <i>',
        text: 'Body',
        figures: [
          { name: 'a', svg: SVG, caption: 'cap <x>' },
          { name: 'b', svg: `<?xml version="1.0"?>\n${SVG}` },
        ],
        tables: [{
          caption: 'tab',
          columns: [
            { key: 'name', title: 'name <th>', format: 'text' as const },
            { key: 'err', title: 'err', std: 'err_std' },
            { key: 'n', title: 'n', format: 'int' as const },
          ],
          rows: [
            { name: '<td>', err: 0.0123, err_std: 0.00045, n: 3 },
            { name: 'none', err: null, err_std: null, n: null },
          ],
        }],
      },
    ],
    configs: [{ title: 'config </pre>', json: { a: '<script>' } }],
  };
  const html = reportHtml(report);

  it('escapes every text: title, headings, captions, cells, configs', () => {
    expect(html).not.toContain('<script');
    expect(html).toContain('<title>T &lt;script&gt;alert(1)&lt;/script&gt;</title>');
    expect(html).toContain('<h1>T &lt;script&gt;alert(1)&lt;/script&gt;</h1>');
    expect(html).toContain('<h2>Results &lt;i&gt;</h2>');
    expect(html).toContain('<figcaption>cap &lt;x&gt;</figcaption>');
    expect(html).toContain('<th>name &lt;th&gt;</th>');
    expect(html).toContain('<td>&lt;td&gt;</td>');
    expect(html).toContain('&quot;&lt;script&gt;&quot;');
    expect(html).toContain('<summary>config &lt;/pre&gt;</summary>');
    expect(html).toContain('<p>Intro with <code>code</code> &amp; &lt;b&gt;</p>');
  });

  it('shows mean ± std cells and nulls as dashes', () => {
    expect(html).toContain('<td class="num">0.0123 ± 4.50e-4</td>');
    expect(html).toMatch(/<tr><td>none<\/td><td class="num">—<\/td><td class="num">—<\/td><\/tr>/);
  });

  it('is self-contained: inline SVG and CSS, no scripts, no external resources', () => {
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain('<style>');
    expect(html.match(/<svg/g)).toHaveLength(2);
    expect(html).not.toMatch(/src="http|<img|<link|<script|<iframe|@import/);
    expect(html).not.toContain('<?xml');
    // Only the SVG namespace URL appears.
    const urls = html.match(/https?:\/\/[^\s"')]+/g) ?? [];
    expect(new Set(urls)).toEqual(new Set(['http://www.w3.org/2000/svg']));
  });

  it('prefixes ids per figure, in markup only', () => {
    expect(html).toContain('<clipPath id="f1-clip1">');
    expect(html).toContain('clip-path="url(#f1-clip1)"');
    expect(html).toContain('<clipPath id="f2-clip1">');
    expect(html).toContain('clip-path="url(#f2-clip1)"');
    // Text content is untouched.
    expect(html).toContain('<text>id="clip1" &lt;b&gt;</text>');
  });

  it('refuses a figure with a script or an event handler', () => {
    const bad = (svg: string) => () => reportHtml({ title: 't', sections: [{ heading: 'h', figures: [{ name: 'x', svg }] }] });
    expect(bad('<svg><script>alert(1)</script></svg>')).toThrow(/script/);
    expect(bad('<svg><rect onclick="alert(1)"/></svg>')).toThrow(/script or event handler/);
    expect(bad('<div/>')).toThrow(/not an SVG/);
  });
});

describe('svg ids', () => {
  it('normalizeSvgIds renumbers clip paths and gradients from 1, references included', () => {
    const svg = '<svg><defs><clipPath id="clip7"/><linearGradient id="gradient_3"/><clipPath id="clip9"/></defs>' +
      '<g clip-path="url(#clip9)"><path fill="url(#gradient_3)"/></g><use href="#clip7"/></svg>';
    expect(normalizeSvgIds(svg)).toBe(
      '<svg><defs><clipPath id="clip1"/><linearGradient id="gradient1"/><clipPath id="clip2"/></defs>' +
        '<g clip-path="url(#clip2)"><path fill="url(#gradient1)"/></g><use href="#clip1"/></svg>',
    );
  });

  it('renames all at once, so a new name may equal an old one', () => {
    const svg = '<svg><a id="clip2"/><b id="clip1"/><c clip-path="url(#clip1)"/></svg>';
    expect(renameSvgIds(svg, (_, i) => `clip${i + 1}`)).toBe('<svg><a id="clip1"/><b id="clip2"/><c clip-path="url(#clip2)"/></svg>');
  });
});
