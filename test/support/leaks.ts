import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Looking for clear values where they must not be: in structured outputs (every string they hold, decoded) and in
 *  files and logs (their text, where a value may also appear escaped as JSON writes it). */

/** Every string anywhere in a JSON-like value, keys included. */
export function stringsIn(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(stringsIn);
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => [k, ...stringsIn(v)]);
  return [];
}

/** `value` as text files may spell it: as is, JSON-escaped by JavaScript (line breaks) and by Python (every
 *  non-ASCII character as \uXXXX, astral ones as surrogate pairs). */
export function spellings(value: string): string[] {
  const js = JSON.stringify(value).slice(1, -1);
  const ascii = js.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return [...new Set([value, js, ascii])];
}

/** The needles found in `haystacks`, each with where. */
export function found(needles: string[], haystacks: Array<[where: string, text: string]>): string[] {
  return needles.flatMap((n) => haystacks.filter(([, text]) => text.includes(n)).map(([where]) => `${JSON.stringify(n)} in ${where}`));
}

/** Every file under `dir` as text, but those `skip` names (folders or files, by path). */
export function filesUnder(dir: string, skip: (path: string) => boolean): Array<[string, string]> {
  return readdirSync(dir).flatMap((name): Array<[string, string]> => {
    const path = join(dir, name);
    if (skip(path)) return [];
    return statSync(path).isDirectory() ? filesUnder(path, skip) : [[path, readFileSync(path, 'utf8')]];
  });
}

// Rows and footer statistics (min/max of the text columns) of every Parquet file under a folder, one JSON document per file.
const DUMP_PARQUET = `
import json, pathlib, sys
import pyarrow.parquet as pq
for f in sorted(pathlib.Path(sys.argv[1]).rglob("*.parquet")):
    meta = pq.ParquetFile(f).metadata
    chunks = [meta.row_group(g).column(c) for g in range(meta.num_row_groups) for c in range(meta.num_columns)]
    stats = [[s.min, s.max] for k in chunks if k.physical_type == "BYTE_ARRAY"
             and (s := k.statistics) is not None and s.has_min_max]
    print(json.dumps({"file": str(f), "rows": pq.read_table(f).to_pylist(), "stats": stats}, default=str))
`;

export interface ParquetFile {
  file: string;
  rows: Array<Record<string, unknown>>;
  stats: unknown[];
}

/** The Parquet files under `folder`, read with the pyarrow of the jobs' virtualenv. */
export function parquetFiles(folder: string): ParquetFile[] {
  const out = execFileSync(join('.venv', 'bin', 'python'), ['-c', DUMP_PARQUET, folder], { encoding: 'utf8', maxBuffer: 64 << 20 });
  return out.split('\n').filter(Boolean).map((line) => JSON.parse(line) as ParquetFile);
}
