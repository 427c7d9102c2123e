/** A token bucket per operation: `rate` calls a second on average, bursts of up to one second's worth. An operation
 *  without a rate is never throttled. */
export class TokenBuckets<Operation extends string> {
  private readonly buckets = new Map<Operation, { tokens: number; at: number }>();

  constructor(
    private readonly rates: Partial<Record<Operation, number>>,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes a token for one call: false when the operation is over its rate. */
  take(operation: Operation): boolean {
    const rate = this.rates[operation];
    if (rate === undefined) return true;
    const now = this.now();
    const bucket = this.buckets.get(operation) ?? { tokens: rate, at: now };
    bucket.tokens = Math.min(rate, bucket.tokens + ((now - bucket.at) / 1000) * rate);
    bucket.at = now;
    this.buckets.set(operation, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}
