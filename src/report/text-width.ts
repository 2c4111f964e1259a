/**
 * Text widths for figure layout, from the advance widths of DejaVu Sans (the
 * font every figure names and the PNG renderer loads).
 *
 * Vega lays out axis labels, titles and legends with a text-width function.
 * In Node without node-canvas it falls back to an estimate of 0.8 em per
 * character, which is about 30% too wide for DejaVu Sans (its digits are
 * 0.636 em) and, worse, would change silently if someone installed `canvas`
 * (vega then measures with whatever fonts the machine has). A fixed table
 * makes the layout both accurate and identical on every machine.
 *
 * The table was made by test/fixtures/report/make_text_widths.mjs from
 * Debian's fonts-dejavu-core 2.37. Pure; no file access at run time.
 */

/** The characters of the tables below, in order. */
const CHARS =
  " " + "!" + "\"" + "#" + "$" + "%" + "&" + "'" + "(" + ")" + "*" + "+" + "," + "-" + "." + "/" +
  "0" + "1" + "2" + "3" + "4" + "5" + "6" + "7" + "8" + "9" + ":" + ";" + "<" + "=" + ">" + "?" +
  "@" + "A" + "B" + "C" + "D" + "E" + "F" + "G" + "H" + "I" + "J" + "K" + "L" + "M" + "N" + "O" +
  "P" + "Q" + "R" + "S" + "T" + "U" + "V" + "W" + "X" + "Y" + "Z" + "[" + "\\" + "]" + "^" + "_" +
  "`" + "a" + "b" + "c" + "d" + "e" + "f" + "g" + "h" + "i" + "j" + "k" + "l" + "m" + "n" + "o" +
  "p" + "q" + "r" + "s" + "t" + "u" + "v" + "w" + "x" + "y" + "z" + "{" + "|" + "}" + "~" + "±" +
  "×" + "·" + "−" + "–" + "—" + "…" + "°" + "µ" + "σ" + "Σ" + "ε" + "η" + "λ" + "μ" + "π" + "θ" +
  "α" + "β" + "γ" + "δ" + "ρ" + "τ" + "φ" + "ψ" + "ω" + "∞" + "≈" + "≤" + "≥" + "√" + "‖" + "²" +
  "³" + "¹" + "⁰" + "⁴" + "⁵" + "⁶" + "⁷" + "⁸" + "⁹" + "⁻" + "₀" + "₁" + "₂" + "₃";

/** DejaVu Sans advance widths, 1/1000 em, in the order of CHARS. */
const REGULAR = [
  318,401,460,838,636,950,780,275,390,390,500,838,318,361,318,337,636,636,636,636,636,636,636,636,
  636,636,337,337,838,838,838,531,1000,684,686,698,770,632,575,775,752,295,295,656,557,863,748,787,
  603,787,695,635,611,732,684,989,685,611,685,390,337,390,838,500,500,613,635,550,635,615,352,635,
  634,278,278,579,278,974,634,612,635,635,411,521,392,634,592,818,592,592,525,636,337,636,838,838,
  838,318,838,500,1000,1000,500,636,634,632,541,634,592,636,602,612,659,638,592,612,635,602,660,
  660,837,833,838,838,838,637,500,401,401,401,401,401,401,401,401,401,401,528,401,401,401,401,
];

/** DejaVu Sans Bold advance widths, 1/1000 em, in the order of CHARS. */
const BOLD = [
  348,456,521,838,696,1002,872,306,457,457,523,838,380,415,380,365,696,696,696,696,696,696,696,696,
  696,696,400,400,838,838,838,580,1000,774,762,734,830,683,683,821,837,372,372,775,637,995,837,850,
  733,850,770,720,682,812,774,1103,771,724,725,457,365,457,838,500,500,675,716,593,716,678,435,716,
  712,343,343,665,343,1042,712,687,716,716,493,595,478,712,652,924,645,652,582,712,365,712,838,838,
  838,380,838,500,1000,1000,500,736,779,683,557,712,633,736,791,687,687,716,681,687,716,638,782,
  794,869,833,838,838,838,667,500,438,438,438,438,438,438,438,438,438,438,528,438,438,438,438,
];

const EM = 1000;
/** Width of a character missing from the table: DejaVu Sans's average lowercase advance. */
const FALLBACK_REGULAR = 600;
const FALLBACK_BOLD = 680;

function tableOf(widths: readonly number[]): Map<string, number> {
  const m = new Map<string, number>();
  Array.from(CHARS).forEach((c, i) => m.set(c, widths[i]));
  return m;
}

const REGULAR_MAP = tableOf(REGULAR);
const BOLD_MAP = tableOf(BOLD);

/** True for a CSS font weight that DejaVu renders with its Bold face. */
function isBold(weight: unknown): boolean {
  if (weight == null) return false;
  if (typeof weight === 'number') return weight >= 600;
  const w = String(weight).trim().toLowerCase();
  if (w === 'bold' || w === 'bolder') return true;
  const n = Number(w);
  return Number.isFinite(n) && n >= 600;
}

/**
 * Width in pixels of `text` set in DejaVu Sans at `fontSize` pixels, bold
 * when `fontWeight` is bold or >= 600. Characters outside the table count as
 * an average lowercase letter. Kerning is ignored (DejaVu's is small).
 *
 * @example
 * dejaVuTextWidth('0.001', 10); // (4 * 636 + 318) * 10 / 1000 = 28.62
 * dejaVuTextWidth('loss', 11, 'bold');
 */
export function dejaVuTextWidth(text: string, fontSize: number, fontWeight?: unknown): number {
  const bold = isBold(fontWeight);
  const table = bold ? BOLD_MAP : REGULAR_MAP;
  const fallback = bold ? FALLBACK_BOLD : FALLBACK_REGULAR;
  let units = 0;
  for (const ch of text) units += table.get(ch) ?? fallback;
  return (units * fontSize) / EM;
}
