/** A command line the CLI cannot run: exit 2, with the usage. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** A replay that cannot be made from what the run log and the landing bucket hold (no ingestions in the range,
 *  nothing left to replay, more than one replay can record): exit 1, naming the problem. */
export class ReplayPlanError extends Error {
  override name = 'ReplayPlanError';
}

/** The landing queue refused some of a replay's messages: those before them were sent and will run. */
export class ReplaySendError extends Error {
  override name = 'ReplaySendError';
}
