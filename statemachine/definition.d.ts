// Types of statemachine/definition.js for the TypeScript code and tests that import it.
export interface StageSpec {
  stage: 'transform' | 'test' | 'load';
  jobName: string;
}
export const STAGES: StageSpec[];
export const POLLING: { firstSeconds: number; share: number; maxSeconds: number };
export function pollSchedule(polling?: typeof POLLING): number[];
export const RETRIES: Record<'DynamoDBRetry' | 'LambdaRetry', unknown[]>;
export function ingestionDefinition(options: { timeoutSeconds: number }): Record<string, unknown> & { TimeoutSeconds: number; States: Record<string, unknown> };
export const MAX_GLUE_TIMEOUT_MINUTES: number;
export function executionTimeoutSeconds(glueTimeoutMinutes: number): number;
