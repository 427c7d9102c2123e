import { readFileSync } from 'node:fs';

/** The job arguments an entry script parses: its module-level `ARGS = [...]` list. */
export function parsedArgs(script: string): string[] {
  const source = readFileSync(`glue-scripts/${script}`, 'utf8');
  const list = /^ARGS\s*=\s*\[([^\]]*)\]/m.exec(source);
  if (!list) throw new Error(`glue-scripts/${script} has no ARGS = [...] list`);
  return [...list[1]!.matchAll(/["']([^"']+)["']/g)].map((m) => m[1]!);
}
