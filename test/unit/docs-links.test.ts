import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../../local/layout';
import { anchors, brokenInDocs, docFiles } from '../support/doc-links';

describe('the docs a reader follows', () => {
  it('link only to files and headings that exist, and name only npm scripts that package.json has', () => {
    expect(brokenInDocs(repoRoot, docFiles(repoRoot))).toEqual([]);
  });
});

describe('the docs check', () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'doc-links-'));
    mkdirSync(join(root, 'docs'));
    writeFileSync(join(root, 'package.json'), JSON.stringify({ scripts: { start: 'x', 'bench:pipeline': 'y' } }));
    writeFileSync(join(root, 'docs', 'a.md'), '# A page\n\n## Run log: what it holds\n\n## Run log: what it holds\n');
    writeFileSync(
      join(root, 'README.md'),
      [
        '# R',
        '[ok](docs/a.md#run-log-what-it-holds) [repeat](docs/a.md#run-log-what-it-holds-1) [self](#r) [web](https://example.com/x)',
        '[gone](docs/missing.md) [no anchor](docs/a.md#run-log) [no self anchor](#nowhere)',
        '`[in code](docs/nothing.md)`',
        '```sh\nnpm run bench:pipeline -- --rows 100000\nnpm run bench:nothing\n```',
        'then `npm run -s lint`; every `npm run bench:*` and `npm run test:*`.',
      ].join('\n'),
    );
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('reports a missing file, a missing anchor and an unknown script, and nothing else', () => {
    expect(brokenInDocs(root, docFiles(root)).map((b) => `${b.file}: ${b.problem}`)).toEqual([
      'README.md: npm run bench:nothing: package.json has no such script',
      'README.md: npm run lint: package.json has no such script',
      'README.md: npm run test:*: package.json has no such script',
      'README.md: docs/missing.md: docs/missing.md does not exist',
      'README.md: docs/a.md#run-log: no heading of docs/a.md makes #run-log',
      'README.md: #nowhere: no heading of README.md makes #nowhere',
    ]);
  });

  it('makes the anchors GitHub makes of headings', () => {
    expect([...anchors('# Dataset `dailycheckin`\n## Freshness: the file that did not come\n## Sizing\n## Sizing\n```\n# not a heading\n```\n')]).toEqual([
      'dataset-dailycheckin',
      'freshness-the-file-that-did-not-come',
      'sizing',
      'sizing-1',
    ]);
  });
});
