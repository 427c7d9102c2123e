import { execFileSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';

/** What must happen to a landed file: rejected by the executor, halted at a named stage with a reason, or loaded
 *  with exactly `loaded` rows and the named rules quarantining exactly the given counts. */
export type Outcome =
  | { rejected: RegExp }
  | { failedAt: 'transform' | 'test' | 'load'; cause: RegExp }
  | { loaded: number; quarantined?: Record<string, number> };

export interface BadInputCase {
  name: string;
  /** The dataset folder it lands in (dailycheckin unless said). */
  dataset?: string;
  /** File name suffix: .csv unless the case is about compression or extensions. */
  ext?: string;
  body: Buffer;
  expect: Outcome;
  /** Values that must come back from GET /get?user= exactly as written. */
  users?: string[];
}

const HEADER = 'user,timestamp,hours,project';
/** Distinct rows (no two equal after normalisation, so dedup keeps them all). */
const good = (user: string, i: number) =>
  `${user},2020-01-01 ${String(Math.floor(i / 60)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}:00 UTC,1.5,apollo`;
/** A file of `n` good rows for `user`, plus extra lines. */
const rows = (user: string, n: number, ...extra: string[]) =>
  [HEADER, ...Array.from({ length: n }, (_, i) => good(user, i)), ...extra].join('\n') + '\n';
const utf8 = (s: string) => Buffer.from(s, 'utf8');
/** One gzip member of 16 MiB of rows (about 16 KB): 64 of them make a 1 GiB file. */
const BOMB_MEMBER = gzipSync(utf8(good('u-bomb', 1).concat('\n').repeat(Math.ceil((16 << 20) / 42))), { level: 9 });
/** The same as bzip2 (Node has none), 64 streams of about 2 KB: Python's bz2, as the jobs use. */
const BZIP2_BOMB = execFileSync('.venv/bin/python', [
  '-c',
  `import bz2, sys; sys.stdout.buffer.write(bz2.compress(${JSON.stringify(`${good('u-bomb', 1)}\n`)}.encode() * ${Math.ceil((16 << 20) / 42)}) * 64)`,
]);
/** The file name that makes the key dailycheckin/bad-input/NAME.csv exactly 1,024 bytes, in names of at most 200
 *  bytes (a file system takes 255 for one name, and landing writes a longer temporary name first; S3 has no folders). */
const LONG_KEY_NAME = (() => {
  const budget = 1024 - 'dailycheckin/bad-input/'.length - '.csv'.length; // 997 bytes: four folders, one name
  const last = budget - 4 * 200;
  return [...Array.from({ length: 4 }, () => 'k'.repeat(199)), 'é'.repeat(Math.floor(last / 2)) + 'k'.repeat(last % 2)].join('/');
})();

export const CASES: BadInputCase[] = [
  { name: 'empty-file', body: Buffer.alloc(0), expect: { rejected: /is empty \(0 bytes\)/ } },
  { name: 'not-a-csv', ext: '.json', body: utf8('{"user":"x"}'), expect: { rejected: /is not a \.csv, \.csv\.gz or \.csv\.bz2 file/ } },
  { name: 'header-only', body: utf8(`${HEADER}\n`), expect: { failedAt: 'test', cause: /min_rows/ } },
  {
    // Its first row is read as the header: the error names positions, never the row's values.
    name: 'no-header',
    body: utf8(`${good('u-no-header', 1)}\n${good('u-no-header', 2)}\n`),
    expect: { failedAt: 'transform', cause: /^(?!.*(u-no-header|apollo)).*missing column\(s\) \['user', 'timestamp', 'hours', 'project'\]; unexpected column\(s\) at position\(s\) 1-4 \(not quoted/ },
  },
  {
    name: 'semicolon-delimiter',
    body: utf8('user;timestamp;hours;project\nu-semi;2020-01-01 10:00:00 UTC;1;apollo\n'),
    expect: { failedAt: 'transform', cause: /missing column/ },
  },
  {
    name: 'tab-delimiter',
    body: utf8('user\ttimestamp\thours\tproject\nu-tab\t2020-01-01 10:00:00 UTC\t1\tapollo\n'),
    expect: { failedAt: 'transform', cause: /missing column/ },
  },
  {
    name: 'missing-column',
    body: utf8('user,timestamp,hours\nu-missing,2020-01-01 10:00:00 UTC,1\n'),
    expect: { failedAt: 'transform', cause: /missing column\(s\) \['project'\]/ },
  },
  {
    name: 'extra-column',
    body: utf8('user,timestamp,hours,project,mood\nu-extra,2020-01-01 10:00:00 UTC,1,apollo,happy\n'),
    expect: { loaded: 1 },
    users: ['u-extra'],
  },
  {
    name: 'columns-reordered',
    body: utf8('project,hours,user,timestamp\napollo,2.5,u-reordered,2020-01-01 10:00:00 UTC\n'),
    expect: { loaded: 1 },
    users: ['u-reordered'],
  },
  {
    // The CSV reader numbers repeated names (user0, user1), so neither counts as the contract's column.
    name: 'duplicate-header-names',
    body: utf8('user,user,timestamp,hours,project\nu-dup,u-dup2,2020-01-01 10:00:00 UTC,1,apollo\n'),
    expect: { failedAt: 'transform', cause: /missing column\(s\) \['user'\]; unexpected column\(s\) at position\(s\) 1 'user0', 2 'user1';/ },
  },
  {
    name: 'latin-1-bytes',
    body: Buffer.concat([utf8(rows('u-latin1', 40)), Buffer.from('Jos\xe9,2020-01-02 10:00:00 UTC,1,apollo\n', 'latin1')]),
    expect: { loaded: 40, quarantined: { 'user.encoding': 1 } },
  },
  {
    name: 'utf8-bom',
    body: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), utf8(rows('u-bom', 3))]),
    expect: { loaded: 3 },
    users: ['u-bom'],
  },
  {
    name: 'utf16',
    body: Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(rows('u-utf16', 2), 'utf16le')]),
    expect: { failedAt: 'transform', cause: /UTF-8|UTF-16|missing column/ },
  },
  { name: 'crlf', body: utf8(rows('u-crlf', 3).replaceAll('\n', '\r\n')), expect: { loaded: 3 }, users: ['u-crlf'] },
  {
    name: 'quoted-commas-and-newlines',
    body: utf8(`${HEADER}\nu-quoted,2020-01-01 10:00:00 UTC,1,"apollo, phase 2"\nu-quoted,2020-01-02 10:00:00 UTC,1,"line one\nline two"\n`),
    expect: { loaded: 2 },
    users: ['u-quoted'],
  },
  {
    // The open quote swallows the rest of the file into one value: that record is refused, nothing after it loads.
    name: 'unterminated-quote',
    body: utf8(rows('u-unterminated', 40, '"u-unterminated,2020-01-03 10:00:00 UTC,1,apollo', good('u-unterminated', 99))),
    expect: {
      loaded: 40,
      quarantined: { 'hours.required': 1, 'project.required': 1, 'timestamp.required': 1, 'user.pattern': 1 },
    },
  },
  {
    name: 'ten-megabyte-line',
    body: utf8(rows('u-huge', 40, `${'x'.repeat(10 * 1024 * 1024)},2020-01-03 10:00:00 UTC,1,apollo`)),
    expect: { loaded: 40, quarantined: { 'user.pattern': 1 } },
  },
  // Quoted fields of any length read in linear time (a backtracking regex overflowed the JVM's stack at about 1.5 KB).
  ...([['1kb', 1024], ['100kb', 100 * 1024], ['10mb', 10 * 1024 * 1024]] as const).map(([size, n]) => ({
    name: `quoted-field-${size}`,
    body: utf8(rows(`u-quoted-${size}`, 3, `u-quoted-${size},2020-01-03 10:00:00 UTC,1,"${'x'.repeat(n)}"`)),
    expect: { loaded: 4 },
  })),
  {
    // Over two lines, with escaped quotes and commas inside.
    name: 'quoted-field-100kb-spanning-lines',
    body: utf8(rows('u-quoted-span', 3, `u-quoted-span,2020-01-03 10:00:00 UTC,1,"${'a ""b"", c'.repeat(5_000)}\n${'d'.repeat(50_000)}"`)),
    expect: { loaded: 4 },
    users: ['u-quoted-span'],
  },
  {
    name: 'header-of-50000-columns',
    body: utf8(`${Array.from({ length: 50_000 }, (_, i) => `c${i}`).join(',')}\n${good('u-wide', 1)}\n`),
    expect: { failedAt: 'transform', cause: /the header has 50000 columns, more than the 20480 a file may have$/ },
  },
  {
    name: 'binary-garbage',
    body: Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)),
    expect: { failedAt: 'transform', cause: /missing column|UTF-8/ },
  },
  {
    name: 'gz-that-is-not-gzip',
    ext: '.csv.gz',
    body: utf8(rows('u-fakegz', 3)),
    expect: { failedAt: 'transform', cause: /is not a valid gzip file/ },
  },
  {
    name: 'truncated-gzip',
    ext: '.csv.gz',
    body: gzipSync(utf8(rows('u-truncgz', 2000))).subarray(0, 3000),
    expect: { failedAt: 'transform', cause: /is a truncated gzip file/ },
  },
  // Decompression bombs: 1 GiB of CSV each, refused at the capped twin's max_bytes (1 MiB) as they inflate.
  {
    name: 'gzip-bomb',
    dataset: 'dailycheckin_capped',
    ext: '.csv.gz',
    body: Buffer.concat(Array.from({ length: 64 }, () => BOMB_MEMBER)),
    expect: { failedAt: 'transform', cause: /inflates to more than 1048576 bytes of CSV, the max_bytes of dataset dailycheckin_capped/ },
  },
  {
    name: 'bzip2-bomb',
    dataset: 'dailycheckin_capped',
    ext: '.csv.bz2',
    body: BZIP2_BOMB,
    expect: { failedAt: 'transform', cause: /inflates to more than 1048576 bytes of CSV, the max_bytes of dataset dailycheckin_capped/ },
  },
  // Keys as S3 allows them: URL and glob characters, unicode, an extension in capitals; 1,024 bytes.
  {
    name: 'key #hash ?query [glob]{a,b} 100%25 +plus+ été 🦄 a:b',
    ext: '.CSV.GZ',
    body: gzipSync(utf8(rows('u-odd-key', 2))),
    expect: { loaded: 2 },
    users: ['u-odd-key'],
  },
  {
    name: LONG_KEY_NAME,
    body: utf8(rows('u-long-key', 2)),
    expect: { loaded: 2 },
    users: ['u-long-key'],
  },
  ...(
    [
      ['negative-hours', '-1', 'hours.range'],
      ['zero-hours', '0', 'hours.range'],
      ['huge-hours', '1000000', 'hours.range'],
      ['nan-hours', 'NaN', 'hours.format'],
      ['inf-hours', 'inf', 'hours.format'],
      ['feb-30', null, 'timestamp.format'],
      ['hour-25', null, 'timestamp.format'],
      ['before-1970', null, 'timestamp.range'],
      ['far-future', null, 'timestamp.range'],
      ['whitespace-user', null, 'user.required'],
    ] as const
  ).map(([name, hours, rule]) => {
    const user = `u-${name}`;
    const bad: Record<string, string> = {
      'feb-30': `${user},2020-02-30 10:00:00 UTC,1,apollo`,
      'hour-25': `${user},2020-01-05 25:00:00 UTC,1,apollo`,
      'before-1970': `${user},1969-12-31 23:59:59 UTC,1,apollo`,
      'far-future': `${user},2999-01-01 00:00:00 UTC,1,apollo`,
      'whitespace-user': `   ,2020-01-05 10:00:00 UTC,1,apollo`,
    };
    return {
      name,
      body: utf8(rows(user, 40, bad[name] ?? `${user},2020-01-05 10:00:00 UTC,${hours},apollo`)),
      expect: { loaded: 40, quarantined: { [rule]: 1 } },
    };
  }),
  ...(
    [
      ['sql-user', "Robert'); DROP TABLE daily_checkins;--"],
      ['emoji-user', '🦄 unicorn 👩‍💻'],
      ['rtl-user', 'מִשְׁתַּמֵּשׁ عربي'],
    ] as const
  ).map(([name, user]) => ({
    name,
    body: utf8(`${HEADER}\n"${user.replaceAll('"', '""')}",2020-01-01 10:00:00 UTC,1,apollo\n`),
    expect: { loaded: 1 },
    users: [user],
  })),
];
