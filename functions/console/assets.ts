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
/** What the page is told as it is served: the CLI target of the stage and the datasets it has contracts for. */
export interface PageSettings {
  cliTarget: string;
  datasets: string[];
}

export function loadAssets(dir: string, page: PageSettings): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const name of readdirSync(dir)) {
    const type = TYPES[extname(name)];
    if (!type) continue;
    const body = readFileSync(join(dir, name));
    assets.set(name, { body: name === 'index.html' ? Buffer.from(settle(body.toString('utf8'), page)) : body, contentType: type });
  }
  if (!assets.has('index.html')) throw new Error(`the operator page is not built: no index.html in ${dir}`);
  return assets;
}

const settle = (html: string, page: PageSettings) =>
  html.replace('{{cliTarget}}', escapeAttribute(page.cliTarget)).replace('{{datasets}}', escapeAttribute(page.datasets.join(',')));

const escapeAttribute = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
