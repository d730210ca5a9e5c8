/** Minimal inline-SVG charts (no dependencies, no scripts): the report must open offline from a file. */

/** Escapes text for HTML and SVG. */
export function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/** Element colours used across charts. */
export const ELEMENT_COLOURS: Readonly<Record<string, string>> = { sun: '#e8a317', rain: '#3b82f6', soil: '#8b5a2b', frost: '#38bdf8' };

const pct = (v: number) => `${(v * 100).toFixed(1)}%`;

/** Horizontal bars with an optional reference line (e.g. 50%). */
export function hbars(
  rows: readonly { label: string; value: number; colour?: string; note?: string }[],
  opts: { max: number; format?: (v: number) => string; ref?: number; width?: number },
): string {
  const width = opts.width ?? 720;
  const labelW = 190;
  const barW = width - labelW - 70;
  const rowH = 20;
  const h = rows.length * rowH + 24;
  const fmt = opts.format ?? pct;
  const x = (v: number) => labelW + (Math.max(0, v) / (opts.max || 1)) * barW;
  const bars = rows
    .map((r, i) => {
      const y = i * rowH + 4;
      return `<g><title>${esc(`${r.label}: ${fmt(r.value)}${r.note ? ` (${r.note})` : ''}`)}</title>
<text x="${labelW - 6}" y="${y + 13}" text-anchor="end">${esc(r.label)}</text>
<rect x="${labelW}" y="${y}" width="${(x(r.value) - labelW).toFixed(1)}" height="${rowH - 6}" fill="${r.colour ?? '#6b8e23'}"/>
<text x="${(x(r.value) + 4).toFixed(1)}" y="${y + 13}">${esc(fmt(r.value))}</text></g>`;
    })
    .join('');
  const ref =
    opts.ref === undefined
      ? ''
      : `<line x1="${x(opts.ref)}" x2="${x(opts.ref)}" y1="0" y2="${h - 20}" stroke="#c00" stroke-dasharray="4 3"/>`;
  return `<svg class="chart" viewBox="0 0 ${width} ${h}" width="${width}" height="${h}" role="img">${bars}${ref}</svg>`;
}

/** Vertical histogram of counts by integer key. */
export function histogram(rows: readonly { key: number; count: number }[], opts: { xLabel: string; width?: number }): string {
  const width = opts.width ?? 720;
  const h = 220;
  const pad = 34;
  if (rows.length === 0) return '';
  const lo = Math.min(...rows.map((r) => r.key));
  const hi = Math.max(...rows.map((r) => r.key));
  const max = Math.max(...rows.map((r) => r.count));
  const slot = (width - 2 * pad) / (hi - lo + 1);
  const bars = rows
    .map((r) => {
      const bh = (r.count / max) * (h - 2 * pad);
      const x = pad + (r.key - lo) * slot;
      return `<rect x="${x.toFixed(1)}" y="${(h - pad - bh).toFixed(1)}" width="${Math.max(1, slot - 1).toFixed(1)}" height="${bh.toFixed(1)}" fill="#6b8e23"><title>${opts.xLabel} ${r.key}: ${r.count}</title></rect>`;
    })
    .join('');
  const ticks = rows
    .filter((r) => r.key % 5 === 0)
    .map((r) => `<text x="${(pad + (r.key - lo) * slot + slot / 2).toFixed(1)}" y="${h - pad + 14}" text-anchor="middle">${r.key}</text>`)
    .join('');
  return `<svg class="chart" viewBox="0 0 ${width} ${h}" width="${width}" height="${h}" role="img">${bars}${ticks}<text x="${width / 2}" y="${h - 4}" text-anchor="middle">${esc(opts.xLabel)}</text></svg>`;
}

/** Scatter plot on [0,1]×[0,1] (rates) with a 50% line. */
export function scatter(
  points: readonly { x: number; y: number; colour: string; label: string }[],
  opts: { xLabel: string; yLabel: string; width?: number },
): string {
  const width = opts.width ?? 720;
  const h = 420;
  const pad = 44;
  const yLo = Math.min(0.3, ...points.map((p) => p.y));
  const yHi = Math.max(0.7, ...points.map((p) => p.y));
  const sx = (v: number) => pad + v * (width - 2 * pad);
  const sy = (v: number) => h - pad - ((v - yLo) / (yHi - yLo)) * (h - 2 * pad);
  const dots = points
    .map(
      (p) =>
        `<circle cx="${sx(p.x).toFixed(1)}" cy="${sy(p.y).toFixed(1)}" r="5" fill="${p.colour}" fill-opacity="0.8" stroke="#333" stroke-width="0.5"><title>${esc(p.label)}</title></circle>`,
    )
    .join('');
  const grid = [0, 0.25, 0.5, 0.75, 1].map((v) => `<text x="${sx(v)}" y="${h - pad + 16}" text-anchor="middle">${pct(v)}</text>`).join('');
  const yTicks = [yLo, 0.5, yHi].map((v) => `<text x="${pad - 4}" y="${sy(v) + 4}" text-anchor="end">${pct(v)}</text>`).join('');
  return `<svg class="chart" viewBox="0 0 ${width} ${h}" width="${width}" height="${h}" role="img">
<rect x="${pad}" y="${pad}" width="${width - 2 * pad}" height="${h - 2 * pad}" fill="none" stroke="#bbb"/>
<line x1="${pad}" x2="${width - pad}" y1="${sy(0.5)}" y2="${sy(0.5)}" stroke="#c00" stroke-dasharray="4 3"/>${grid}${yTicks}${dots}
<text x="${width / 2}" y="${h - 6}" text-anchor="middle">${esc(opts.xLabel)}</text>
<text x="12" y="${h / 2}" transform="rotate(-90 12 ${h / 2})" text-anchor="middle">${esc(opts.yLabel)}</text></svg>`;
}

/** Heat map of rates (rows against columns); null cells are blank. */
export function heatmap(labels: readonly string[], values: readonly (readonly (number | null)[])[]): string {
  const cell = 26;
  const left = 120;
  const top = 110;
  const size = labels.length * cell;
  const colour = (v: number) => {
    const t = Math.max(-1, Math.min(1, (v - 0.5) * 4));
    return t >= 0
      ? `rgb(${Math.round(255 - 120 * t)},${Math.round(255 - 40 * t)},${Math.round(255 - 120 * t)})`
      : `rgb(255,${Math.round(255 + 120 * t)},${Math.round(255 + 120 * t)})`;
  };
  const cells = values
    .map((row, a) =>
      row
        .map((v, b) =>
          v === null
            ? ''
            : `<rect x="${left + b * cell}" y="${top + a * cell}" width="${cell - 1}" height="${cell - 1}" fill="${colour(v)}"><title>${esc(`${labels[a]} vs ${labels[b]}: ${pct(v)}`)}</title></rect>`,
        )
        .join(''),
    )
    .join('');
  const rowLabels = labels.map((l, i) => `<text x="${left - 4}" y="${top + i * cell + 17}" text-anchor="end">${esc(l)}</text>`).join('');
  const colLabels = labels
    .map((l, i) => `<text transform="translate(${left + i * cell + 17} ${top - 4}) rotate(-60)">${esc(l)}</text>`)
    .join('');
  return `<svg class="chart" viewBox="0 0 ${left + size + 10} ${top + size + 10}" width="${left + size + 10}" height="${top + size + 10}" role="img">${cells}${rowLabels}${colLabels}</svg>`;
}
