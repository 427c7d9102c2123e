import * as z from 'zod/mini';
import type { SourceObject } from '../shared/ingestion-id';

const s3EventSchema = z.object({
  Records: z.array(
    z.object({
      eventName: z.string(),
      eventTime: z.iso.datetime({ offset: true }),
      s3: z.object({
        bucket: z.object({ name: z.string().check(z.minLength(1)) }),
        object: z.object({
          key: z.string().check(z.minLength(1)),
          size: z._default(z.int().check(z.nonnegative()), 0),
          eTag: z.optional(z.string()),
          versionId: z.optional(z.string()),
        }),
      }),
    }),
  ),
});

export interface LandedObject extends SourceObject {
  eventTime: Date;
}

/** S3 notifications URL-encode keys, with '+' for spaces. */
const decodeKey = (key: string) => decodeURIComponent(key.replace(/\+/g, ' '));

export function parseS3Event(event: unknown): LandedObject[] {
  return s3EventSchema.parse(event).Records.filter((r) => r.eventName.startsWith('ObjectCreated:')).map((r) => ({
    bucket: r.s3.bucket.name,
    key: decodeKey(r.s3.object.key),
    size: r.s3.object.size,
    eTag: r.s3.object.eTag,
    versionId: r.s3.object.versionId,
    eventTime: new Date(r.eventTime),
  }));
}
