import * as z from 'zod/mini';

/** What the landing queue delivers (Lambda's SQS event): each message's body is an S3 event notification, S3's test
 *  event when a notification is configured, a message the executor sent back to wait (the same shape), or a replay's
 *  message: the same shape again, its record marked with the replay (functions/shared/replay.ts, read by s3-event.ts). */
const sqsEventSchema = z.object({
  Records: z.array(z.object({ messageId: z.string().check(z.minLength(1)), body: z.string() })),
});

export interface QueueMessage {
  messageId: string;
  /** The S3 event notification in the body: { Records: [...] }; none for S3's test event. */
  notification?: { Records: unknown[] };
  /** Why the body cannot be read. */
  unreadable?: string;
}

const bodySchema = z.union([z.object({ Records: z.array(z.unknown()) }), z.object({ Event: z.literal('s3:TestEvent') })]);

export function parseQueueEvent(event: unknown): QueueMessage[] {
  return sqsEventSchema.parse(event).Records.map(({ messageId, body }) => ({ messageId, ...readBody(messageId, body) }));
}

function readBody(messageId: string, body: string): Omit<QueueMessage, 'messageId'> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { unreadable: `message ${messageId} is not JSON` };
  }
  const known = bodySchema.safeParse(parsed);
  if (!known.success) return { unreadable: `message ${messageId} is neither an S3 event notification nor S3's test event` };
  return 'Records' in known.data ? { notification: known.data } : {};
}
