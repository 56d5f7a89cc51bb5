import type { ProxyMode } from '../../sim/api-types.ts';
import type { ScalePoint } from '../../sim/compare.ts';

/**
 * The scale chart's geometry, drawn by hand in SVG: services on a log x axis, counts on a log
 * y axis (rules grow from hundreds to tens of thousands while a packet matches a dozen). Solid
 * lines are what the node holds; broken lines what one packet costs.
 */

export type Field = 'iptablesRules' | 'ipsetEntries' | 'nftRules' | 'nftElements' | 'rulesMatched' | 'rulesEvaluated';

export interface Series {
  readonly id: string;
  readonly proxy: ProxyMode;
  readonly field: Field;
  readonly label: string;
  /** stroke dash pattern: solid for what the node holds, dashed for what one packet walks */
  readonly dash: string;
}

export const SERIES: readonly Series[] = [
  { id: 'iptables.rules', proxy: 'iptables', field: 'iptablesRules', label: 'iptables mode · iptables rules on the node', dash: '' },
  { id: 'iptables.evaluated', proxy: 'iptables', field: 'rulesEvaluated', label: 'iptables mode · rules one packet is checked against', dash: '10 3 2 3' },
  { id: 'iptables.matched', proxy: 'iptables', field: 'rulesMatched', label: 'iptables mode · rules one packet matches', dash: '6 4' },
  { id: 'ipvs.rules', proxy: 'ipvs', field: 'iptablesRules', label: 'ipvs mode · iptables rules on the node', dash: '' },
  { id: 'ipvs.ipset', proxy: 'ipvs', field: 'ipsetEntries', label: 'ipvs mode · ipset entries', dash: '2 3' },
  { id: 'ipvs.evaluated', proxy: 'ipvs', field: 'rulesEvaluated', label: 'ipvs mode · rules one packet is checked against', dash: '10 3 2 3' },
  { id: 'ipvs.matched', proxy: 'ipvs', field: 'rulesMatched', label: 'ipvs mode · rules one packet matches', dash: '6 4' },
  { id: 'nftables.rules', proxy: 'nftables', field: 'nftRules', label: 'nftables mode · nft rules on the node', dash: '' },
  { id: 'nftables.elements', proxy: 'nftables', field: 'nftElements', label: 'nftables mode · set and map elements', dash: '2 3' },
  { id: 'nftables.evaluated', proxy: 'nftables', field: 'rulesEvaluated', label: 'nftables mode · rules one packet is checked against', dash: '10 3 2 3' },
  { id: 'nftables.matched', proxy: 'nftables', field: 'rulesMatched', label: 'nftables mode · rules one packet matches', dash: '6 4' },
];

export interface Frame {
  readonly width: number;
  readonly height: number;
  readonly left: number;
  readonly right: number;
  readonly top: number;
  readonly bottom: number;
}

export const FRAME: Frame = { width: 640, height: 360, left: 56, right: 18, top: 14, bottom: 40 };

/** A log10 scale from [lo, hi] onto [a, b]; values below lo sit on lo. */
export function logScale(lo: number, hi: number, a: number, b: number): (v: number) => number {
  const l0 = Math.log10(lo);
  const l1 = Math.log10(hi);
  return (v) => a + ((Math.log10(Math.max(v, lo)) - l0) / (l1 - l0)) * (b - a);
}

/** The decade above the largest value (at least 1,000), so the top grid line has room above the data. */
export function yTop(points: readonly ScalePoint[]): number {
  let max = 1;
  for (const p of points) max = Math.max(max, p.iptablesRules, p.ipsetEntries, p.nftRules, p.nftElements, p.rulesMatched, p.rulesEvaluated);
  return Math.max(1000, 10 ** Math.ceil(Math.log10(max * 1.2)));
}

/** Grid lines: each decade, with 2× and 5× between them as minor lines. */
export function decades(lo: number, hi: number): { value: number; major: boolean }[] {
  const out: { value: number; major: boolean }[] = [];
  for (let d = lo; d <= hi; d *= 10) {
    out.push({ value: d, major: true });
    if (d * 2 < hi) out.push({ value: d * 2, major: false });
    if (d * 5 < hi) out.push({ value: d * 5, major: false });
  }
  return out;
}

/** `20,036` → `20k`, for axis labels. */
export function shortCount(v: number): string {
  if (v >= 1_000_000) return `${v / 1_000_000}M`;
  if (v >= 1000) return `${v / 1000}k`;
  return String(v);
}

/** One series' points (those computed so far) as an SVG path. */
export function seriesPath(points: readonly { x: number; y: number }[]): string {
  return points.map((p, i) => `${i ? 'L' : 'M'} ${p.x.toFixed(1)} ${p.y.toFixed(1)}`).join(' ');
}
