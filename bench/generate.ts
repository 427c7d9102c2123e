/** Seeded generator of realistic dailycheckin files: the three timestamp families in the mix seen in real files,
 *  quoted project names, a few exact duplicates and a configurable share of bad rows of every kind the contract
 *  refuses. Same seed, same file. CLI: npx tsx bench/generate.ts --rows N [--bad-share 0.01] [--seed 42] OUT.csv */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

export interface GenerateOptions {
  rows: number;
  /** Share of rows that break a rule (missing user, bad timestamp, hours out of range or not a number, no project). */
  badShare: number;
  /** Share of rows that repeat an earlier row exactly. */
  duplicateShare: number;
  seed: number;
}

export interface Generated {
  rows: number;
  bad: number;
  duplicates: number;
  bytes: number;
}

/** mulberry32: tiny, fast and good enough to make test data reproducible. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIRST = ['ana', 'boris', 'chen', 'dmitri', 'elena', 'farah', 'goran', 'hana', 'ivan', 'julia', 'kofi', 'lena', 'mei', 'nikolai', 'olga', 'pavel'];
const LAST = ['ivanova', 'smith', 'li', 'petrov', 'garcia', 'kim', 'novak', 'osei', 'sato', 'weber', 'rossi', 'horvat'];
const PROJECTS = ['apollo', 'gemini', 'mercury', 'voyager', 'pioneer', 'skylab', '"gemini, phase 2"', '"the ""big"" migration"', 'data-platform', 'billing'];
const RU_MONTHS = ['января', 'февраля', 'марта', 'апреля', 'мая', 'июня', 'июля', 'августа', 'сентября', 'октября', 'ноября', 'декабря'];
const pad = (n: number, w = 2) => String(n).padStart(w, '0');

export function makeRow(rnd: () => number, bad: number | null): string {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
  const t = new Date(Date.UTC(2018, 0, 1) + Math.floor(rnd() * 3 * 365 * 86_400) * 1000);
  const [y, mo, d, h, mi, s] = [t.getUTCFullYear(), t.getUTCMonth() + 1, t.getUTCDate(), t.getUTCHours(), t.getUTCMinutes(), t.getUTCSeconds()];
  const family = rnd();
  let ts: string;
  if (family < 0.5) {
    const digits = Math.floor(rnd() * 7);
    const fraction = digits ? `.${String(Math.floor(rnd() * 10 ** digits)).padStart(digits, '0')}` : '';
    ts = `${y}-${pad(mo)}-${pad(d)} ${pad(h)}:${pad(mi)}:${pad(s)}${fraction} UTC`;
  } else if (family < 0.85) {
    ts = `${mo}/${d}/${y} ${h % 12 === 0 ? 12 : h % 12}:${pad(mi)} ${h < 12 ? 'AM' : 'PM'}`;
  } else {
    ts = `${d} ${RU_MONTHS[mo - 1]} ${y} ${pad(h)}:${pad(mi)}`;
  }
  let user = `${pick(FIRST)}.${pick(LAST)}${Math.floor(rnd() * 50)}`;
  let hours = (Math.ceil(rnd() * 1200) / 100).toFixed(2);
  let project = pick(PROJECTS);
  if (bad === 0) user = '';
  else if (bad === 1) ts = `${y}-${pad(mo)}-${pad(d)}T${pad(h)}:${pad(mi)}`;
  else if (bad === 2) hours = pick(['0', '-1.5', '24.25', '36']);
  else if (bad === 3) hours = pick(['n/a', '1,5', 'eight']);
  else if (bad === 4) project = '  ';
  return `${user},${ts},${hours},${project}`;
}

export async function generate(out: string, opts: GenerateOptions): Promise<Generated> {
  const rnd = random(opts.seed);
  const stream = createWriteStream(out);
  const result: Generated = { rows: 0, bad: 0, duplicates: 0, bytes: 0 };
  let chunk = 'user,timestamp,hours,project\n';
  let previous = '';
  for (let i = 0; i < opts.rows; i++) {
    let line: string;
    const r = rnd();
    if (previous && r < opts.duplicateShare) {
      line = previous;
      result.duplicates++;
    } else if (r < opts.duplicateShare + opts.badShare) {
      line = makeRow(rnd, Math.floor(rnd() * 5));
      result.bad++;
    } else {
      line = makeRow(rnd, null);
    }
    previous = line;
    chunk += `${line}\n`;
    result.rows++;
    if (chunk.length > 1 << 20) {
      result.bytes += Buffer.byteLength(chunk);
      if (!stream.write(chunk)) await once(stream, 'drain');
      chunk = '';
    }
  }
  result.bytes += Buffer.byteLength(chunk);
  stream.end(chunk);
  await once(stream, 'finish');
  return result;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values, positionals } = parseArgs({
    options: { rows: { type: 'string', default: '100000' }, 'bad-share': { type: 'string', default: '0.01' }, seed: { type: 'string', default: '42' } },
    allowPositionals: true,
  });
  const out = positionals[0] ?? 'checkins.csv';
  const result = await generate(out, { rows: Number(values.rows), badShare: Number(values['bad-share']), duplicateShare: 0.005, seed: Number(values.seed) });
  console.log(`${out}: ${result.rows} rows (${result.bad} bad, ${result.duplicates} duplicates), ${result.bytes} bytes`);
}
