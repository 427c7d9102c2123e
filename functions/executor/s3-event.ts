import * as z from 'zod/mini';
import type { SourceObject } from '../shared/ingestion-id';
import { replayMarkSchema, type ReplayMark } from '../shared/replay';

/** S3 notifications URL-encode keys as a form does: '+' for a space, %XX for the UTF-8 bytes of the rest. A key
 *  whose encoding does not decode (a stray '%', bytes that are not UTF-8) is an issue of the event, not a crash. */
const encodedKey = z.pipe(
  z.string().check(z.minLength(1)),
  z.transform((key: string, ctx) => {
    try {
      return decodeURIComponent(key.replace(/\+/g, ' '));
    } catch {
      ctx.issues.push({ code: 'custom', message: `object key ${JSON.stringify(key)} is not URL-encoded UTF-8`, input: key });
      return z.NEVER;
    }
  }),
);

/** The S3 sequencer orders the events of one key; hex text of any length (see source.py). One that is not hex is
 *  dropped rather than refusing the event: the load then orders versions by LastModified alone. */
const sequencer = z.catch(
  z.optional(z.pipe(z.string().check(z.regex(/^[0-9A-Fa-f]{1,64}$/)), z.transform((s: string) => s.toUpperCase()))),
  undefined,
);

const s3EventSchema = z.object({
  Records: z.array(
    z.object({
      eventName: z.string(),
      eventTime: z.iso.datetime({ offset: true }),
      s3: z.object({
        bucket: z.object({ name: z.string().check(z.minLength(1)) }),
        object: z.object({
          key: encodedKey,
          size: z._default(z.int().check(z.nonnegative()), 0),
          eTag: z.optional(z.string()),
          versionId: z.optional(z.string()),
          sequencer,
        }),
      }),
      /** Only on a replay's record (functions/shared/replay.ts): S3's own records have none. */
      replay: z.optional(replayMarkSchema),
    }),
  ),
});

export interface LandedObject extends SourceObject {
  eventTime: Date;
  /** S3's sequencer of the event (upper-case hex): orders the versions of one key within a second. */
  sequencer?: string | undefined;
  /** Set when the object is replayed rather than landed. */
  replay?: ReplayMark | undefined;
}

/** The records that announce an object: only they become ingestions. */
export const isObjectCreated = (record: unknown) => String((record as { eventName?: unknown } | null)?.eventName ?? '').startsWith('ObjectCreated:');

export function parseS3Event(event: unknown): LandedObject[] {
  return s3EventSchema.parse(event).Records.filter(isObjectCreated).map((r) => ({
    bucket: r.s3.bucket.name,
    key: r.s3.object.key,
    size: r.s3.object.size,
    eTag: r.s3.object.eTag,
    versionId: r.s3.object.versionId,
    sequencer: r.s3.object.sequencer,
    eventTime: new Date(r.eventTime),
    ...(r.replay ? { replay: r.replay } : {}),
  }));
}
