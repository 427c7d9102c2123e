import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { paths, repoRoot } from '../../local/layout';
import { resourcesOfType, type Template } from '../template/template';

/** A function of the packaged template: its zip in .build/package/<stage>/, its handler and its environment. */
export interface PackagedFunction {
  logicalId: string;
  zip: string;
  /** Handler `functions/x/handler.handler` → module `functions/x/handler.mjs`, export `handler`. */
  module: string;
  exportName: string;
  runtime: string;
  timeoutS: number;
  environment: Record<string, unknown>;
}

const functionSchema = z.object({
  Handler: z.string().regex(/^[\w/.-]+\.\w+$/),
  Runtime: z.string(),
  Timeout: z.number().default(3),
  Code: z.object({ S3Key: z.string() }),
  Environment: z.object({ Variables: z.record(z.string(), z.unknown()) }).default({ Variables: {} }),
});

export function packagedFunctions(template: Template, stage: string): PackagedFunction[] {
  return resourcesOfType(template, 'AWS::Lambda::Function').map(([logicalId, r]) => {
    const p = functionSchema.parse(r.Properties);
    const dot = p.Handler.lastIndexOf('.');
    return {
      logicalId,
      zip: join(repoRoot, '.build', 'package', stage, basename(p.Code.S3Key)),
      module: `${p.Handler.slice(0, dot)}.mjs`,
      exportName: p.Handler.slice(dot + 1),
      runtime: p.Runtime,
      timeoutS: p.Timeout,
      environment: p.Environment.Variables,
    };
  });
}

/** Local stand-ins for what CloudFormation resolves on AWS: `Ref` of a resource, `Fn::GetAtt`. */
export interface LocalValues {
  refs: Record<string, string>;
  attributes: Record<string, string>;
}

const NO_VALUE = Symbol('AWS::NoValue');

/** Resolves a template value as CloudFormation would, with `local` for the resources: parameters take their
 *  defaults (the packaged stage's values), conditions are evaluated, `AWS::NoValue` drops the key. An intrinsic or
 *  a resource it does not know fails, naming it, so a new one in the template cannot pass unresolved. */
export function resolveValue(template: Template, value: unknown, local: LocalValues): unknown {
  const resolve = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(resolve).filter((x) => x !== NO_VALUE);
    if (v === null || typeof v !== 'object') return v;
    const entries = Object.entries(v);
    const [key, arg] = entries[0] ?? [];
    if (entries.length === 1 && key === 'Ref') return ref(String(arg));
    if (entries.length === 1 && key === 'Fn::GetAtt') {
      const [id, ...attr] = Array.isArray(arg) ? arg.map(String) : String(arg).split('.');
      const name = `${id}.${attr.join('.')}`;
      if (!(name in local.attributes)) throw new Error(`no local value for Fn::GetAtt ${name}`);
      return local.attributes[name];
    }
    if (entries.length === 1 && key === 'Fn::If') {
      const [condition, yes, no] = z.tuple([z.string(), z.unknown(), z.unknown()]).parse(arg);
      return resolve(isTrue(condition) ? yes : no);
    }
    if (entries.length === 1 && key === 'Fn::Join') {
      const [separator, parts] = z.tuple([z.string(), z.array(z.unknown())]).parse(arg);
      return (resolve(parts) as unknown[]).join(separator);
    }
    if (entries.length === 1 && key?.startsWith('Fn::')) throw new Error(`no local resolution for ${key}`);
    return Object.fromEntries(entries.map(([k, x]) => [k, resolve(x)]).filter(([, x]) => x !== NO_VALUE));
  };
  const ref = (id: string): unknown => {
    if (id === 'AWS::NoValue') return NO_VALUE;
    if (id === 'AWS::Region') return 'us-east-1';
    if (id === 'AWS::AccountId') return '000000000000';
    const parameter = template.Parameters[id];
    if (parameter) return parameter.Default ?? '';
    if (id in local.refs) return local.refs[id];
    throw new Error(`no local value for Ref ${id}`);
  };
  const condition = (c: unknown): boolean => {
    const [key, arg] = Object.entries(z.record(z.string(), z.unknown()).parse(c))[0] ?? [];
    const args = z.array(z.unknown()).safeParse(arg).data ?? [];
    if (key === 'Fn::Equals') return resolve(args[0]) === resolve(args[1]);
    if (key === 'Fn::Not') return !condition(args[0]);
    if (key === 'Fn::And') return args.every(condition);
    if (key === 'Fn::Or') return args.some(condition);
    if (key === 'Condition') return isTrue(String(arg));
    throw new Error(`no local evaluation for condition ${key}`);
  };
  const isTrue = (name: string) => {
    if (!(name in template.Conditions)) throw new Error(`condition ${name} is not in the template`);
    return condition(template.Conditions[name]);
  };
  const resolved = resolve(value);
  return resolved === NO_VALUE ? undefined : resolved;
}

/** Unzips a function's package into a fresh folder, as Lambda does into /var/task. */
export function unpack(zip: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'landing-etl-lambda-'));
  execFileSync(paths.python, ['-m', 'zipfile', '-e', zip, dir]);
  return dir;
}

/** The environment Lambda itself gives every nodejs22.x function (credentials from its role, here the local ones). */
export const lambdaEnvironment = (functionName: string, taskRoot: string, memoryMb = 512): Record<string, string> => ({
  AWS_REGION: 'us-east-1',
  AWS_DEFAULT_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
  AWS_SESSION_TOKEN: 'local',
  AWS_LAMBDA_FUNCTION_NAME: functionName,
  AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
  AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memoryMb),
  AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
  LAMBDA_TASK_ROOT: taskRoot,
  TZ: ':UTC',
  LANG: 'en_US.UTF-8',
  PATH: '/usr/local/bin:/usr/bin:/bin',
});

// What the nodejs22.x runtime does with an .mjs handler: import() it as an ES module, call the export with the event
// and a context, await the result. Runs in `node --input-type=module`, where no CommonJS `require` is in scope.
const RUNNER = `
import { readFileSync, writeSync } from 'node:fs';
const [file, exportName, eventFile] = process.argv.slice(1);
const handler = (await import(file))[exportName];
const started = Date.now();
const context = {
  functionName: process.env.AWS_LAMBDA_FUNCTION_NAME, functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:' + process.env.AWS_LAMBDA_FUNCTION_NAME,
  memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE, awsRequestId: 'c0ffee00-0000-4000-8000-000000000001',
  logGroupName: '/aws/lambda/' + process.env.AWS_LAMBDA_FUNCTION_NAME, logStreamName: 'local',
  callbackWaitsForEmptyEventLoop: true, getRemainingTimeInMillis: () => 30000 - (Date.now() - started),
};
const result = await handler(JSON.parse(readFileSync(eventFile, 'utf8')), context);
writeSync(3, JSON.stringify(result ?? null));
process.exit(0);
`;

export interface Invocation {
  result: unknown;
  /** What the function wrote to stdout and stderr (its logs). */
  output: string;
}

/** Imports the unpacked handler in a clean Node 22 process (only `env`, cwd the task root) and invokes it once. */
export async function invokePackaged(
  fn: PackagedFunction,
  taskRoot: string,
  env: Record<string, string>,
  event: unknown,
  timeoutMs = 20_000,
): Promise<Invocation> {
  const eventFile = join(taskRoot, '.event.json');
  writeFileSync(eventFile, JSON.stringify(event));
  const node = join(repoRoot, 'node_modules', '.bin', 'node');
  const child = spawn(node, ['--input-type=module', '-e', RUNNER, pathToFileURL(join(taskRoot, fn.module)).href, fn.exportName, eventFile], {
    cwd: taskRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
  });
  let output = '';
  let result = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  (child.stdio[3] as NodeJS.ReadableStream).on('data', (d: Buffer) => (result += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  clearTimeout(timer);
  if (code !== 0 || !result) {
    // A minified bundle's line is one long line: keep the end of the output, each line cut short.
    const tail = output.split('\n').slice(-30).map((line) => (line.length > 300 ? `${line.slice(0, 300)}…` : line));
    throw new Error(`${fn.logicalId} (${fn.module}) exited with ${code ?? 'a timeout'} without a result:\n${tail.join('\n')}`);
  }
  return { result: JSON.parse(result) as unknown, output };
}
