import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { AwsCall } from './aws-gateway';

/** The AWS calls the local stack's principals made, appended to a JSON-lines file for the IAM check
 *  (npm run check:iam): each distinct (principal, action, resource, caller) once per stack, with the test that
 *  caused it when the stack runs under one (LANDING_ETL_TEST). */
export class CallRecorder {
  private readonly seen = new Set<string>();

  constructor(
    private readonly file: string,
    private readonly context: string | undefined,
  ) {
    mkdirSync(dirname(file), { recursive: true });
  }

  readonly record = (call: AwsCall): void => {
    const key = [call.principal, call.action, call.resource, JSON.stringify(call.context ?? {}), call.caller ?? '', call.status].join('\0');
    if (this.seen.has(key)) return;
    this.seen.add(key);
    appendFileSync(this.file, `${JSON.stringify({ ...call, ...(this.context ? { test: this.context } : {}) })}\n`);
  };
}
