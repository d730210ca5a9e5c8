import { describe, expect, it } from 'vitest';
import { farmEconomy } from '../src/economy.ts';
import { repoData } from './helpers.ts';

const data = repoData();
const eco = farmEconomy(data, 200);
const scenario = (crop: string, name: string) => eco.find((c) => c.crop === crop)?.scenarios.find((s) => s.name === name);

describe('farm economy', () => {
  it('covers every crop under four scenarios', () => {
    expect(eco.map((c) => c.crop).sort()).toEqual(data.crops.map((c) => c.id).sort());
    for (const c of eco) expect(c.scenarios.map((s) => s.name)).toEqual(['plot', 'plot + water', 'land', 'land + water']);
  });
  it('follows the growth rules: wheat takes 10 min, 7.5 watered (25% off each stage)', () => {
    expect(scenario('wheat', 'plot')?.cycleMinutes).toBeCloseTo(10, 6);
    expect(scenario('wheat', 'plot + water')?.cycleMinutes).toBeCloseTo(7.5, 6);
  });
  it('rewards watering and good land', () => {
    for (const c of eco) {
      const [plot, watered, land, both] = c.scenarios;
      expect(watered?.itemsPerHour).toBeGreaterThan(plot?.itemsPerHour ?? Infinity);
      expect(land?.itemsPerHour).toBeGreaterThan(plot?.itemsPerHour ?? Infinity);
      expect(both?.goldPerHour).toBeGreaterThan(land?.goldPerHour ?? Infinity);
    }
    expect(scenario('wheat', 'land')?.parcel).toBe('meadow-2'); // the golden-wheat perk
  });
  it('computes gold per hour from values and seed prices', () => {
    const wheat = eco.find((c) => c.crop === 'wheat');
    const plot = wheat?.scenarios[0];
    if (!wheat || !plot) throw new Error('no wheat');
    // produce/h × value − seed price per cycle × cycles/h
    expect(plot.goldPerHour).toBeCloseTo(plot.itemsPerHour * wheat.value - wheat.seedPrice * (60 / plot.cycleMinutes), 6);
  });
});
