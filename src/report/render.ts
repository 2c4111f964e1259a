/**
 * Rendering of Vega-Lite specs to SVG (vega in Node, renderer 'none') and of
 * SVG to PNG (@resvg/resvg-js with the DejaVu fonts), and writing a figure's
 * two files. Node only.
 *
 * Determinism: the same spec gives byte-identical SVG in every run and on
 * every machine. Three things make it so:
 * - text is measured with a fixed table of DejaVu Sans advance widths
 *   (text-width.ts), never with node-canvas or the machine's fonts;
 * - vega's clip-path and gradient ids, numbered from a process-wide counter,
 *   are renumbered from 1 in each SVG (svg-ids.ts);
 * - specs carry their data inline (nothing is loaded) and no dates or random
 *   numbers enter them.
 */

import * as fs from 'node:fs';
import * as path from 'node:path';
import { Resvg, type ResvgRenderOptions } from '@resvg/resvg-js';
import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
import { atomicWriteFile } from '../io/files.js';
import { normalizeSvgIds } from './svg-ids.js';
import { dejaVuTextWidth } from './text-width.js';

/** Where Debian's fonts-dejavu-core puts its files. */
export const DEJAVU_DIR = '/usr/share/fonts/truetype/dejavu';
const DEJAVU_FILES = ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf', 'DejaVuSans-Oblique.ttf', 'DejaVuSans-BoldOblique.ttf'];

interface TextItem {
  fontSize?: number;
  fontWeight?: unknown;
  limit?: number;
}

/** vega's text metrics hook (present in the runtime, missing from its typings). */
interface TextMetrics {
  width: (item: TextItem, text: unknown) => number;
}

let metricsInstalled = false;

/**
 * Makes vega measure text with the DejaVu Sans table. vega's hook is global to
 * the process (so every vega render in it measures this way, which is the
 * point); the function keeps vega's contract: the item's font size, default
 * 11; the text trimmed; for several lines, the widest.
 */
function installTextMetrics(): void {
  if (metricsInstalled) return;
  const tm = (vega as unknown as { textMetrics?: TextMetrics }).textMetrics;
  if (!tm) throw new Error('vega.textMetrics is missing: the installed vega is not the one implab was written for (6.x)');
  tm.width = (item: TextItem, text: unknown): number => {
    const size = item.fontSize != null ? +item.fontSize || 0 : 11;
    const lines = Array.isArray(text) ? text : [text];
    let width = 0;
    for (const line of lines) {
      const s = line == null ? '' : String(line).trim();
      width = Math.max(width, dejaVuTextWidth(s, size, item.fontWeight));
    }
    return width;
  };
  metricsInstalled = true;
}

/** Options of `renderSvg`. */
export interface RenderSvgOptions {
  /** Called with each warning of the Vega-Lite compiler and of vega (default: dropped). */
  onWarning?: (message: string) => void;
}

/**
 * Renders a Vega-Lite spec to an SVG document (a string starting with
 * `<svg`), deterministically: the same spec always gives the same bytes, ids
 * included (`clip1`, `clip2`, ... and `gradient1`, ... in order of appearance).
 *
 * @throws Error when the spec does not compile.
 * @example
 * const svg = await renderSvg(lineFigure({ data, x: 'step', y: 'loss' }));
 * fs.writeFileSync('loss.svg', svg);
 */
export async function renderSvg(spec: TopLevelSpec, options: RenderSvgOptions = {}): Promise<string> {
  installTextMetrics();
  const warn = options.onWarning ?? ((): void => {});
  const errors: string[] = [];
  const logger = vega.logger(vega.Warn, undefined, (method, _level, args) => {
    const message = args.map(String).join(' ');
    if (method === 'error') errors.push(message);
    else warn(message);
  });
  const compiled = vl.compile(spec, { logger });
  const view = new vega.View(vega.parse(compiled.spec), { renderer: 'none', logger });
  let svg: string;
  try {
    svg = await view.toSVG();
  } finally {
    view.finalize();
  }
  if (errors.length > 0) throw new Error(`renderSvg: ${errors.join('; ')}`);
  return normalizeSvgIds(svg);
}

/** Options of `renderPng`. */
export interface RenderPngOptions {
  /** Pixels per SVG unit (default 2: a crisp image for screens and papers). */
  scale?: number;
  /** Directory of the DejaVu font files (default: Debian's, DEJAVU_DIR). */
  fontDir?: string;
}

/**
 * The resvg font options: the DejaVu Sans files from `fontDir` when they are
 * there (no system fonts: the same pixels everywhere), otherwise the system's
 * fonts with DejaVu Sans preferred (text may then look different, but
 * rendering never fails for a missing font).
 */
function fontOptions(fontDir: string): NonNullable<ResvgRenderOptions['font']> {
  const files = DEJAVU_FILES.map((f) => path.join(fontDir, f)).filter((f) => fs.existsSync(f));
  const family = { defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' };
  if (files.length > 0) return { loadSystemFonts: false, fontFiles: files, ...family };
  return { loadSystemFonts: true, ...family };
}

/**
 * Rasterizes an SVG document to PNG bytes, `scale` pixels per SVG unit (so a
 * 500 x 300 SVG at scale 2 gives a 1000 x 600 PNG).
 *
 * @example
 * const png = renderPng(await renderSvg(spec), { scale: 2 });
 * fs.writeFileSync('fig.png', png);
 */
export function renderPng(svg: string, options: RenderPngOptions = {}): Uint8Array {
  const scale = options.scale ?? 2;
  if (!(scale > 0) || !Number.isFinite(scale)) throw new RangeError(`renderPng: scale must be a positive number, got ${scale}`);
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    font: fontOptions(options.fontDir ?? DEJAVU_DIR),
    background: 'white',
    logLevel: 'off',
  });
  const png = resvg.render().asPng();
  return new Uint8Array(png.buffer, png.byteOffset, png.byteLength);
}

/** What `writeFigure` wrote. */
export interface WrittenFigure {
  /** The SVG document. */
  svg: string;
  /** Paths of the two files. */
  svgPath: string;
  pngPath: string;
}

/**
 * Renders `spec` and writes `dir/name.svg` and `dir/name.png`, each
 * atomically, replacing earlier versions (a report is regenerated). Creates
 * `dir` when missing. `name` is a plain file name: letters, digits, `.`, `_`, `-`.
 *
 * @throws RangeError for a bad name; FileError when a file cannot be written.
 * @example
 * const { svg } = await writeFigure('out/figures', 'loss-curves', spec);
 */
export async function writeFigure(
  dir: string,
  name: string,
  spec: TopLevelSpec,
  options: RenderSvgOptions & RenderPngOptions = {},
): Promise<WrittenFigure> {
  if (!/^[A-Za-z0-9_][A-Za-z0-9._-]*$/.test(name)) {
    throw new RangeError(`writeFigure: bad figure name ${JSON.stringify(name)} (expected letters, digits, '.', '_', '-')`);
  }
  const svg = await renderSvg(spec, options);
  const png = renderPng(svg, options);
  fs.mkdirSync(dir, { recursive: true });
  const svgPath = path.join(dir, `${name}.svg`);
  const pngPath = path.join(dir, `${name}.png`);
  atomicWriteFile(svgPath, new TextEncoder().encode(svg), { overwrite: true });
  atomicWriteFile(pngPath, png, { overwrite: true });
  return { svg, svgPath, pngPath };
}
