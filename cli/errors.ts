/** A command line the CLI cannot run: exit 2, with the usage. */
export class UsageError extends Error {
  override name = 'UsageError';
}
