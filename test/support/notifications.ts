import { existsSync, readFileSync } from 'node:fs';
import type { StackInfo } from '../../local/layout';

/** A message the local stack's SNS published: its JSON body, with its subject. */
export type Published = Record<string, unknown> & { subject?: string };

/** Every message the local stack's SNS topics published, in order. */
export function published(info: Pick<StackInfo, 'notificationsFile'>): Published[] {
  if (!existsSync(info.notificationsFile)) return [];
  return readFileSync(info.notificationsFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const n = JSON.parse(line) as { subject?: string; message: string };
      return { subject: n.subject, ...(JSON.parse(n.message) as Record<string, unknown>) };
    });
}

/** The published messages that match, once there are at least `count` (or what there is after `deadlineMs`, for the
 *  test's assertion to show). The state machine, the executor and the freshness checker record what happened, then
 *  publish: a test that has seen the record waits for the message. */
export async function publishedAtLeast(
  info: Pick<StackInfo, 'notificationsFile'>,
  count: number,
  match: (m: Published) => boolean,
  deadlineMs = 15_000,
): Promise<Published[]> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const found = published(info).filter(match);
    if (found.length >= count || Date.now() > deadline) return found;
    await new Promise((r) => setTimeout(r, 100));
  }
}
