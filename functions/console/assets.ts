import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';

export interface Asset {
  body: Buffer;
  contentType: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/** The built page's files (deploy/console-page.js), read once: only these names are ever served, so no path a
 *  client sends reaches the file system. */
export function loadAssets(dir: string, page: { cliTarget: string }): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const name of readdirSync(dir)) {
    const type = TYPES[extname(name)];
    if (!type) continue;
    const body = readFileSync(join(dir, name));
    assets.set(name, { body: name === 'index.html' ? Buffer.from(body.toString('utf8').replace('{{cliTarget}}', escapeAttribute(page.cliTarget))) : body, contentType: type });
  }
  if (!assets.has('index.html')) throw new Error(`the operator page is not built: no index.html in ${dir}`);
  return assets;
}

const escapeAttribute = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
