/** Lambda's asynchronous invocation, as S3 notifications use it: on error the event is retried twice with backoff,
 *  then handed to the on-failure destination, so no event is silently dropped. */
export async function invokeAsync<R>(
  handler: (event: unknown, context: never) => Promise<R>,
  event: unknown,
  opts: { retries?: number; backoffMs?: number; onFailure(event: unknown, error: Error): Promise<void> },
): Promise<R | undefined> {
  const retries = opts.retries ?? 2;
  for (let attempt = 0; ; attempt++) {
    try {
      return await handler(event, {} as never);
    } catch (e) {
      if (attempt === retries) {
        await opts.onFailure(event, e as Error);
        return undefined;
      }
      await new Promise((r) => setTimeout(r, (opts.backoffMs ?? 1000) * 2 ** attempt));
    }
  }
}
