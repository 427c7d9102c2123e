/** Thrown after every record was tried when some failed, so Lambda retries the event (records already handled
 *  come back as duplicates) and, after its retries, sends it to the on-failure destination. */
export class LandedObjectsFailedError extends Error {
  override name = 'LandedObjectsFailedError';
}
