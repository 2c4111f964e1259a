/**
 * Renaming of the ids inside an SVG document (clip paths, gradients) and of
 * every reference to them. Two uses: making vega's output deterministic (vega
 * numbers clip paths from a process-wide counter, so the second figure of a
 * process gets `clip7` where the first got `clip1`), and keeping ids unique
 * when several SVGs are inlined into one HTML page (where all ids share one
 * namespace, so `url(#clip1)` would pick the first figure's clip path). Pure.
 */

const TAG = /<[^>]*>/g;
const ID_ATTR = /\sid="([^"]*)"/g;

/**
 * Renames every `id="..."` of `svg` to `rename(id, index)`, `index` counting
 * the distinct ids from 0 in order of appearance, and rewrites the references
 * `url(#id)`, `href="#id"` and `xlink:href="#id"` to match (all at once, so a
 * new name may equal another old one). Only markup is touched, never text
 * content: vega escapes `<`, `>` in text and `"` in attributes, so tags are
 * found reliably.
 *
 * @example
 * renameSvgIds('<svg><clipPath id="clip7"/><g clip-path="url(#clip7)"/></svg>', (id) => `fig2-${id}`);
 * // '<svg><clipPath id="fig2-clip7"/><g clip-path="url(#fig2-clip7)"/></svg>'
 */
export function renameSvgIds(svg: string, rename: (id: string, index: number) => string): string {
  const names = new Map<string, string>();
  for (const tag of svg.match(TAG) ?? []) {
    for (const m of tag.matchAll(ID_ATTR)) {
      if (!names.has(m[1])) names.set(m[1], rename(m[1], names.size));
    }
  }
  if (names.size === 0) return svg;
  const swap = (id: string): string => names.get(id) ?? id;
  return svg.replace(TAG, (tag) =>
    tag
      .replace(ID_ATTR, (_, id: string) => ` id="${swap(id)}"`)
      .replace(/url\(#([^)]+)\)/g, (_, id: string) => `url(#${swap(id)})`)
      .replace(/(\s(?:xlink:)?href)="#([^"]*)"/g, (_, attr: string, id: string) => `${attr}="#${swap(id)}"`),
  );
}

/**
 * Renumbers the ids of `svg` per kind, in order of appearance: vega's clip
 * paths `clipN` become `clip1`, `clip2`, ..., its gradients `gradient_N` and
 * `p_gradient_N` become `gradient1`, ..., any other id `id1`, ....
 *
 * @example
 * normalizeSvgIds('<svg><clipPath id="clip7"/><g clip-path="url(#clip7)"/></svg>');
 * // '<svg><clipPath id="clip1"/><g clip-path="url(#clip1)"/></svg>'
 */
export function normalizeSvgIds(svg: string): string {
  const counters = new Map<string, number>();
  return renameSvgIds(svg, (id) => {
    const kind = /^clip\d+$/.test(id) ? 'clip' : /^(p_)?gradient_\d+$/.test(id) ? 'gradient' : 'id';
    const n = (counters.get(kind) ?? 0) + 1;
    counters.set(kind, n);
    return `${kind}${n}`;
  });
}
