import { appendFile } from 'node:fs/promises';
import { invokeAsync } from './async-invoke';
import type { EventRule } from './deployment';
import type { Json } from './template';

/** An event on the default bus, as EventBridge delivers it to a target. */
export interface BusEvent {
  source: string;
  'detail-type': string;
  detail: Record<string, unknown>;
  account: string;
  region: string;
  resources: string[];
}

/** Whether `event` matches an EventBridge pattern of exact values: each field of the pattern is an array of the
 *  values it may have, or a pattern of the nested object (EventBridge user guide, "Event patterns"). The content
 *  filters (prefix, anything-but, numeric, exists) are not used by the template and are refused when met. */
export function matches(pattern: Record<string, Json>, event: Record<string, unknown>): boolean {
  return Object.entries(pattern).every(([field, wanted]) => {
    const value = event[field];
    if (Array.isArray(wanted)) {
      if (wanted.some((w) => w !== null && typeof w === 'object')) throw new Error(`event pattern: content filters (${JSON.stringify(wanted)}) are not modelled`);
      return (Array.isArray(value) ? value : [value]).some((v) => wanted.includes(v as Json));
    }
    if (wanted && typeof wanted === 'object') return value !== null && typeof value === 'object' && matches(wanted, value as Record<string, unknown>);
    throw new Error(`event pattern: field ${field} must be an array of values or a nested pattern`);
  });
}

/** EventBridge's default bus on this machine: each event is delivered to the functions of every rule it matches, as
 *  an asynchronous invocation that is retried and then written to `deadLetters` (the rule target's DLQ). */
export class LocalEventBridge {
  constructor(
    private readonly rules: EventRule[],
    private readonly handler: (functionLogicalId: string) => (event: unknown) => Promise<unknown>,
    private readonly deadLetters: string,
    private readonly log: (line: string) => void,
  ) {}

  async put(event: BusEvent): Promise<void> {
    const delivery = { version: '0', id: crypto.randomUUID(), time: new Date().toISOString(), ...event };
    for (const rule of this.rules.filter((r) => matches(r.pattern, delivery))) {
      for (const fn of rule.functionLogicalIds) {
        await invokeAsync(this.handler(fn) as never, delivery, {
          onFailure: async (failed, error) => {
            this.log(`eventbridge: ${rule.logicalId} could not deliver to ${fn} after its retries: ${error.message}; the event is in ${this.deadLetters}`);
            await appendFile(this.deadLetters, `${JSON.stringify({ time: new Date().toISOString(), rule: rule.logicalId, error: error.message, event: failed })}\n`);
          },
        });
      }
    }
  }
}
