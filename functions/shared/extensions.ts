/** The file names a dataset accepts, compared ignoring case (`.CSV.GZ` is a `.csv.gz`). The Glue jobs list the same
 *  in glue-scripts/landing_etl/extensions.py (test/unit/extensions.test.ts holds the two lists equal). `.csv.bz2`:
 *  bzip2 is splittable, so Spark reads a large compressed file with many tasks; gzip is not (one task). */
export const ACCEPTED_EXTENSIONS = ['.csv', '.csv.gz', '.csv.bz2'] as const;
export type Extension = (typeof ACCEPTED_EXTENSIONS)[number];

/** The accepted extension a key ends with, in lower case; undefined when it ends with none. */
export function extensionOf(key: string): Extension | undefined {
  const lower = key.toLowerCase();
  return ACCEPTED_EXTENSIONS.find((e) => lower.endsWith(e));
}

/** "a .csv, .csv.gz or .csv.bz2 file", for the reason a file is refused. */
export const ACCEPTED_DESCRIPTION = `a ${ACCEPTED_EXTENSIONS.slice(0, -1).join(', ')} or ${ACCEPTED_EXTENSIONS.at(-1)} file`;
