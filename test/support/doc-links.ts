import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/** What a reader of the docs would find broken: a relative link to a file that is not there, an #anchor no heading
 *  of its file makes, an `npm run X` that package.json has no script for. External links are not followed. */
export interface Broken {
  file: string;
  problem: string;
}

/** The docs a reader is sent to: README.md and docs/*.md. */
export function docFiles(root: string): string[] {
  const docs = join(root, 'docs');
  return [join(root, 'README.md'), ...readdirSync(docs).filter((f) => f.endsWith('.md')).map((f) => join(docs, f))];
}

/** GitHub's heading anchor: lowercased, punctuation dropped, spaces to hyphens; repeats get -1, -2, … */
export function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const [, heading] of withoutFences(markdown).matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const slug = heading!
      .replace(/`/g, '')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    out.add(n ? `${slug}-${n}` : slug);
  }
  for (const [, id] of markdown.matchAll(/<a\s+(?:name|id)="([^"]+)"/g)) out.add(id!);
  return out;
}

const withoutFences = (markdown: string) => markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1\s*$/gm, '');
/** Fenced blocks and inline code spans hold examples, not links. */
const withoutCode = (markdown: string) => withoutFences(markdown).replace(/`[^`\n]*`/g, '');

export function brokenInDocs(root: string, files: string[]): Broken[] {
  const scripts = new Set(Object.keys((JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: object }).scripts));
  const broken: Broken[] = [];
  for (const file of files) {
    const name = relative(root, file);
    const text = readFileSync(file, 'utf8');
    for (const [, script] of text.matchAll(/\bnpm run(?:\s+-s)?\s+([\w:.*-]+)/g)) {
      // `npm run bench:*` names a family of scripts: one must exist.
      const pattern = new RegExp(`^${script!.replace(/[.]/g, '\\.').replace(/\*/g, '.*')}$`);
      if (![...scripts].some((s) => pattern.test(s))) broken.push({ file: name, problem: `npm run ${script}: package.json has no such script` });
    }
    for (const [, raw] of withoutCode(text).matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      const link = raw!;
      if (/^[a-z][a-z0-9+.-]*:/i.test(link)) continue; // https:, mailto:
      const [path, anchor] = link.split('#', 2) as [string, string | undefined];
      const target = path ? resolve(dirname(file), decodeURIComponent(path)) : file;
      if (!existsSync(target)) {
        broken.push({ file: name, problem: `${link}: ${relative(root, target)} does not exist` });
        continue;
      }
      if (anchor && !(statSync(target).isFile() && target.endsWith('.md') && anchors(readFileSync(target, 'utf8')).has(anchor))) {
        broken.push({ file: name, problem: `${link}: no heading of ${relative(root, target)} makes #${anchor}` });
      }
    }
  }
  return broken;
}
