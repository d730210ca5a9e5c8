/** Renders a simulation report as one self-contained HTML page (inline CSS and SVG, no scripts, no network). */

import type { SimReport } from './model.ts';
import { ELEMENT_COLOURS, esc, hbars, heatmap, histogram, scatter } from './svg.ts';

const pct = (v: number | null) => (v === null ? '–' : `${(v * 100).toFixed(1)}%`);
const num = (v: number, digits = 1) => v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** The HTML page for a report. */
export function renderHtml(r: SimReport): string {
  const h = r.headline;
  const tiles: [string, string][] = [
    ['Matches', r.settings.matches.toLocaleString('en-US')],
    ['Matches/s (one core)', num(r.performance.oneCoreMatchesPerSecond, 0)],
    ['First-player win rate', pct(h.firstPlayerWinRate)],
    ['Average match length', `${num(h.averageTurns)} turns`],
    ['Draws', pct(h.drawRate)],
    ['Decks', String(r.settings.decks)],
  ];
  const deckBars = hbars(
    r.decks.map((d) => ({
      label: d.name,
      value: d.winRate ?? 0,
      colour: ELEMENT_COLOURS[d.elements[0] ?? ''] ?? '#6b8e23',
      note: `${d.games} games ±${pct(d.margin)}`,
    })),
    { max: 1, ref: 0.5 },
  );
  const cardPoints = r.cards
    .filter((c) => c.games > 0 && c.playRate !== null && c.winRate !== null)
    .map((c) => ({
      x: c.playRate as number,
      y: c.winRate as number,
      colour: ELEMENT_COLOURS[c.element] ?? '#999',
      label: `${c.name} (${c.rarity}, cost ${c.cost}): win ${pct(c.winRate)}, played ${pct(c.playRate)}, ${c.games} games`,
    }));
  const economy = r.economy
    .map((crop) =>
      crop.scenarios
        .map(
          (s, i) =>
            `<tr>${i === 0 ? `<td rowspan="${crop.scenarios.length}">${esc(crop.name)}</td><td rowspan="${crop.scenarios.length}">${crop.seedPrice}</td><td rowspan="${crop.scenarios.length}">${crop.value}</td>` : ''}<td>${esc(s.name)}${s.parcel ? ` <small>(${esc(s.parcel)})</small>` : ''}</td><td>${num(s.cycleMinutes)}</td><td>${num(s.itemsPerHour, 2)}</td><td>${num(s.goldPerHour)}</td></tr>`,
        )
        .join(''),
    )
    .join('');
  const ecoMax = Math.max(1, ...r.economy.flatMap((c) => c.scenarios.map((s) => s.goldPerHour)));
  const ecoColours: Record<string, string> = { plot: '#a3a3a3', 'plot + water': '#3b82f6', land: '#8b5a2b', 'land + water': '#16a34a' };
  const ecoBars = hbars(
    r.economy.flatMap((c) =>
      c.scenarios.map((s) => ({ label: `${c.name} · ${s.name}`, value: s.goldPerHour, colour: ecoColours[s.name] })),
    ),
    { max: ecoMax, format: (v) => `${num(v)} g/h` },
  );
  const cardRows = r.cards
    .map(
      (c) =>
        `<tr><td><span class="dot" style="background:${ELEMENT_COLOURS[c.element]}"></span>${esc(c.name)}</td><td>${esc(c.rarity)}</td><td>${esc(c.kind)}</td><td>${c.cost}</td><td>${c.decks}</td><td>${c.games}</td><td>${pct(c.winRate)}${c.margin !== null ? ` <small>±${pct(c.margin)}</small>` : ''}</td><td>${pct(c.playRate)}</td><td>${pct(c.winRateWhenPlayed)}</td><td>${num(c.curveDelta)}</td></tr>`,
    )
    .join('');
  const reasons = Object.entries(h.endReasons)
    .map(([k, v]) => `${esc(k)} ${pct(v / h.matches)}`)
    .join(' · ');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Harvest Battles balance report</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1100px;color:#222;padding:0 16px}
h1{font-size:22px}h2{font-size:17px;margin-top:32px;border-bottom:1px solid #ddd}
.tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(160px,1fr));gap:10px}
.tile{background:#f6f7f2;border:1px solid #dde3cc;border-radius:6px;padding:10px}.tile b{display:block;font-size:22px}
table{border-collapse:collapse;width:100%;font-size:13px}td,th{border-bottom:1px solid #eee;padding:3px 6px;text-align:right}
td:first-child,th:first-child{text-align:left}svg.chart{max-width:100%;height:auto;font-size:11px}
.dot{display:inline-block;width:9px;height:9px;border-radius:50%;margin-right:6px}.meta{color:#666;font-size:12px}
.legend span{margin-right:14px}
</style></head><body>
<h1>Harvest Battles: balance report</h1>
<p class="meta">Content ${esc(r.contentHash.slice(0, 16))}… · seed ${esc(r.seed)} · ${esc(r.generatedAt)} · ${r.settings.matches.toLocaleString('en-US')} matches between ${r.settings.decks} decks (${r.settings.randomDecks} random) · greedy AI on both sides · ${r.settings.workers} thread(s), ${num(r.performance.wallMs / 1000, 2)} s</p>
<div class="tiles">${tiles.map(([k, v]) => `<div class="tile">${esc(k)}<b>${esc(v)}</b></div>`).join('')}</div>
<p>Second player wins ${pct(h.secondPlayerWinRate)}. Median length ${h.medianTurns} turns, ${num(h.averageActions)} actions on average. Endings: ${reasons}.${h.refusedActions ? ` <b>${h.refusedActions} AI actions were refused by the engine.</b>` : ''}</p>
<p class="legend">${Object.entries(ELEMENT_COLOURS)
    .map(([e, c]) => `<span><span class="dot" style="background:${c}"></span>${e}</span>`)
    .join('')}</p>

<h2>Decks: win rate</h2>
<p class="meta">Draws count as half a win. Dashed line: 50%.</p>
${deckBars}

<h2>Matchups</h2>
<p class="meta">Row deck's win rate against the column deck (green: row wins more).</p>
${heatmap(r.matchups.decks, r.matchups.winRate)}

<h2>Match length</h2>
${histogram(
  r.turnHistogram.map((t) => ({ key: t.turn, count: t.matches })),
  { xLabel: 'turn the match ended' },
)}

<h2>Cards: win rate against play rate</h2>
<p class="meta">Win rate of decks holding the card, against how often it was played when held. Hover a dot for the card.</p>
${scatter(cardPoints, { xLabel: 'play rate (games played / games in deck)', yLabel: 'win rate when in deck' })}
<table><thead><tr><th>Card</th><th>Rarity</th><th>Kind</th><th>Cost</th><th>Decks</th><th>Games</th><th>Win rate</th><th>Play rate</th><th>Win when played</th><th>Curve Δ</th></tr></thead><tbody>${cardRows}</tbody></table>

<h2>Farming economy (per plot)</h2>
<p class="meta">Gold per hour = (produce × shop value − seed price) per hour of growing, replanting at once; watering at the start of every stage; land = the best genesis parcel for the crop (perk, then fertility).</p>
${ecoBars}
<table><thead><tr><th>Crop</th><th>Seed price</th><th>Value</th><th>Scenario</th><th>Cycle (min)</th><th>Produce/h</th><th>Gold/h</th></tr></thead><tbody>${economy}</tbody></table>

${r.notes.length ? `<h2>Notes</h2><ul>${r.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>` : ''}
</body></html>
`;
}
