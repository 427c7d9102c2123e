import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';

const resourceSchema = z.object({
  Type: z.string(),
  Properties: z.record(z.string(), z.unknown()).default({}),
  Condition: z.string().optional(),
  DependsOn: z.union([z.string(), z.array(z.string())]).optional(),
  DeletionPolicy: z.string().optional(),
  UpdateReplacePolicy: z.string().optional(),
  Metadata: z.record(z.string(), z.unknown()).optional(),
});
const templateSchema = z.object({
  Resources: z.record(z.string(), resourceSchema),
  Outputs: z.record(z.string(), z.object({ Value: z.unknown() })).default({}),
  Parameters: z.record(z.string(), z.object({ Type: z.string(), Default: z.unknown().optional() })).default({}),
  Conditions: z.record(z.string(), z.unknown()).default({}),
});
export type Template = z.infer<typeof templateSchema>;
export type Resource = z.infer<typeof resourceSchema>;

export const STAGES = ['dev', 'prod'] as const;

/** The CloudFormation that `npm run package` (scripts/package-stages.sh) generated for a stage. */
export function loadTemplate(stage: string): Template {
  const path = `.build/package/${stage}/cloudformation-template-update-stack.json`;
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`npm run package\` before the template tests`);
  return templateSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
}

export function resourcesOfType(template: Template, type: string): Array<[string, Resource]> {
  return Object.entries(template.Resources).filter(([, r]) => r.Type === type);
}

export function resource(template: Template, logicalId: string, type: string): Resource {
  const found = template.Resources[logicalId];
  if (!found) throw new Error(`resource ${logicalId} is not in the template`);
  expect(found.Type).toBe(type);
  return found;
}

/** The logical ids a CloudFormation value refers to (Ref, Fn::GetAtt, ${X} and ${X.Attr} in Fn::Sub). */
export function references(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(references);
  if (value === null || typeof value !== 'object') return [];
  const out: string[] = [];
  for (const [key, v] of Object.entries(value)) {
    if (key === 'Ref' && typeof v === 'string') out.push(v);
    else if (key === 'Fn::GetAtt') out.push(Array.isArray(v) ? String(v[0]) : String(v).split('.')[0]!);
    else if (key === 'Fn::Sub') {
      const text = Array.isArray(v) ? String(v[0]) : String(v);
      const local = Array.isArray(v) && v[1] && typeof v[1] === 'object' ? Object.keys(v[1]) : [];
      for (const m of text.matchAll(/\$\{([^}!]+)\}/g)) {
        const id = m[1]!.split('.')[0]!;
        if (!local.includes(id)) out.push(id);
      }
      if (Array.isArray(v)) out.push(...references(v[1]));
    } else out.push(...references(v));
  }
  return out;
}

export type Statement = { Effect: string; Action: string[]; Resource: unknown[]; where: string };

const asList = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

const statementSchema = z.record(z.string(), z.unknown());
// IAM takes a policy's Statement as a list or as one statement; CloudFormation may make either conditional.
const documentSchema = z.object({ Statement: z.union([z.array(statementSchema), statementSchema]) });

/** The statements a Statement value may stand for: each branch of an Fn::If, none for AWS::NoValue. */
function branches(s: Record<string, unknown>): Array<Record<string, unknown>> {
  if (Object.keys(s).length === 1 && Array.isArray(s['Fn::If'])) {
    return (s['Fn::If'] as unknown[]).slice(1).flatMap((b) => (b && typeof b === 'object' && !Array.isArray(b) ? branches(b as Record<string, unknown>) : []));
  }
  if (Object.keys(s).length === 1 && s.Ref === 'AWS::NoValue') return [];
  return [s];
}

/** Every statement of every policy document in the template: role policies, bucket, key and topic policies. A
 *  document whose Statement is neither a statement nor a list of them is an error, never skipped. */
export function statements(template: Template): Statement[] {
  const out: Statement[] = [];
  const visit = (doc: unknown, where: string) => {
    if (doc === undefined) return;
    const parsed = documentSchema.safeParse(doc);
    if (!parsed.success) throw new Error(`${where}: a policy document without a Statement IAM reads: ${JSON.stringify(doc)}`);
    asList(parsed.data.Statement)
      .flatMap((s) => branches(statementSchema.parse(s)))
      .forEach((s, i) =>
        out.push({
          Effect: String(s.Effect),
          Action: asList(s.Action ?? s.NotAction).map(String),
          Resource: asList(s.Resource ?? s.NotResource),
          where: `${where} statement ${String(s.Sid ?? i)}`,
        }),
      );
  };
  for (const [id, r] of Object.entries(template.Resources)) {
    const p = r.Properties;
    visit(p.PolicyDocument, id);
    visit(p.KeyPolicy, id);
    for (const policy of asList(p.Policies)) {
      const named = z.object({ PolicyName: z.string(), PolicyDocument: z.unknown() }).safeParse(policy);
      if (named.success) visit(named.data.PolicyDocument, `${id}/${named.data.PolicyName}`);
    }
  }
  return out;
}

/** The value at a dotted path ("a.b.0.c") inside a template value; undefined when any step is missing. */
export function at(value: unknown, path: string): unknown {
  let current = value;
  for (const step of path.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[step];
  }
  return current;
}

export const list = (value: unknown): unknown[] => z.array(z.unknown()).parse(value);
export const record = (value: unknown): Record<string, unknown> => z.record(z.string(), z.unknown()).parse(value);
export const text = (value: unknown): string => z.string().parse(value);
