// The stop-the-world cost of a growing key index: inserts 4M keys into the store's KeyTable and
// into a V8 Map (what the store used before), and prints the total time and the longest single
// insert (a growth rebuild, plus whatever GC it triggers). Not part of `npm run bench`:
//   node --max-old-space-size=4000 --max-semi-space-size=64 --import tsx bench/key-table-growth.ts [map|table] [keys]
import { KeyTable } from '../core/store/key-table';

const which = process.argv[2] === 'map' ? 'map' : 'table';
const n = Number(process.argv[3] ?? 4_000_000);
const keys: string[] = [];
for (let i = 0; i < n; i++) keys.push(`key:${String(i).padStart(12, '0')}`);
const map = new Map<string, { key: string }>();
const table = new KeyTable<{ key: string }>(() => 1);
const add = which === 'map' ? (k: string) => void map.set(k, { key: k }) : (k: string) => table.add({ key: k });
let longest = 0;
const t0 = performance.now();
for (const k of keys) {
  const t = performance.now();
  add(k);
  longest = Math.max(longest, performance.now() - t);
}
console.log(`${which}: ${n} inserts in ${(performance.now() - t0).toFixed(0)} ms; longest insert ${longest.toFixed(0)} ms`);
