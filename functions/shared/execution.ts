import * as z from 'zod/mini';

const nonEmpty = () => z.string().check(z.minLength(1));

/** What the state machine receives: everything a stage needs, so the jobs never look anything up. */
export const executionInputSchema = z.object({
  ingestionId: nonEmpty(),
  dataset: nonEmpty(),
  businessDate: z.string().check(z.regex(/^\d{4}-\d{2}-\d{2}$/)),
  attempt: z.int().check(z.positive()),
  source: z.object({
    bucket: nonEmpty(),
    key: nonEmpty(),
    versionId: z.nullable(z.string()),
    /** S3's sequencer of the event that landed this version (upper-case hex): the load orders two versions of one
     *  key uploaded within the same second by it. Null for inputs recorded before it was carried (a retry of one). */
    sequencer: z._default(z.nullable(z.string()), null),
    uri: nonEmpty(),
    size: z.int().check(z.nonnegative()),
  }),
  stagingUri: nonEmpty(),
  qualityMode: z.enum(['hard', 'soft']),
});
export type ExecutionInput = z.infer<typeof executionInputSchema>;

/** Attempt 1 runs under the ingestion id itself (so a duplicate S3 delivery collides with it); attempt n under
 *  `<id>-a<n>`. Ids are at most 66 characters, so every name stays within Step Functions' 80. */
export const executionName = (ingestionId: string, attempt: number) =>
  attempt === 1 ? ingestionId : `${ingestionId}-a${attempt}`;

export const executionArn = (stateMachineArn: string, name: string) =>
  `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
