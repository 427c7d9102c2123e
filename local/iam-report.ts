import { canonicalSecret, type CheckResult, type StageModel, type StageResult, type UnusedGrant, type Verdict } from './iam-check';

/** What the IAM check prints, and the Markdown page (docs/iam.md) it writes with --docs. */

export interface Counts {
  allowed: number;
  denied: number;
}

export interface StageSummary {
  stage: string;
  /** Distinct (principal, action) of recorded calls: allowed when every resource it was called on is. */
  pairs: Counts;
  /** Distinct (principal, action, resource) of recorded calls. */
  triples: Counts;
  /** Calls added because a recorded call needs them (KMS behind S3, Secrets Manager, SNS, SQS). */
  implied: Counts;
}

export function summarize(stage: StageResult): StageSummary {
  const count = (verdicts: Verdict[]): Counts => ({
    allowed: verdicts.filter((v) => v.allowed).length,
    denied: verdicts.filter((v) => !v.allowed).length,
  });
  const recorded = stage.verdicts.filter((v) => v.calls.length > 0);
  const pairs = new Map<string, boolean>();
  for (const v of recorded) {
    const key = `${v.principal} ${v.action}`;
    pairs.set(key, (pairs.get(key) ?? true) && v.allowed);
  }
  const pairValues = [...pairs.values()];
  return {
    stage: stage.stage,
    pairs: { allowed: pairValues.filter(Boolean).length, denied: pairValues.filter((a) => !a).length },
    triples: count(recorded),
    implied: count(stage.verdicts.filter((v) => v.calls.length === 0)),
  };
}

export function denials(result: CheckResult): Verdict[] {
  return result.stages.flatMap((s) => s.verdicts.filter((v) => !v.allowed));
}

/** The report on standard output: summary, every denied call with who made it, the unused grants. */
export function textReport(result: CheckResult, stages: StageModel[], files: string[]): string {
  const out: string[] = [];
  const ignored = Object.entries(result.ignored);
  const ignoredCount = ignored.reduce((n, [, c]) => n + c, 0);
  out.push(`IAM check: ${result.calls} recorded calls from ${files.join(', ')}`);
  if (ignoredCount) {
    out.push(`  ${ignoredCount} of them by principals that are no deployment role, not checked: ${ignored.map(([p, c]) => `${p} ${c}`).join(', ')}`);
  }
  for (const s of result.stages) {
    const { pairs, triples, implied } = summarize(s);
    out.push(
      `${s.stage.padEnd(5)} ${pairs.allowed + pairs.denied} (principal, action) pairs: ${pairs.allowed} allowed, ${pairs.denied} denied; ` +
        `${triples.allowed + triples.denied} (principal, action, resource) triples: ${triples.allowed} allowed, ${triples.denied} denied; ` +
        `${implied.allowed + implied.denied} implied: ${implied.allowed} allowed, ${implied.denied} denied`,
    );
  }
  for (const s of result.stages) for (const w of s.warnings) out.push(`warning [${s.stage}]: ${w}`);

  const denied = denials(result);
  if (denied.length) {
    out.push('', `DENIED (${denied.length}):`);
    for (const v of denied) out.push(...describeDenial(v, result.stages.find((s) => s.stage === v.stage)!));
  }

  out.push('', 'Needed by the platform, not observable locally:');
  out.push(...grantLines(result, stages, (s) => s.platform).map((l) => `  ${l.role} ${l.text}`));
  const unused = grantLines(result, stages, (s) => s.unused);
  out.push('', 'Granted, never used (candidates to remove):', ...(unused.length ? unused.map((l) => `  ${l.role} ${l.text}`) : ['  (none)']));
  out.push('', denied.length ? `FAILED: ${denied.length} denied call(s)` : 'OK: every recorded and implied call is allowed in every stage');
  return out.join('\n');
}

/** A denied call: stage, principal, action, resource, then who made it (caller, test, file:line, status). */
export function describeDenial(v: Verdict, stage: StageResult): string[] {
  const lines = [`  [${v.stage}] ${v.principal} ${v.action} ${v.resource}${v.via ? ` (implied, via ${v.via})` : ''}`];
  if (v.error) lines.push(`      not evaluated: ${v.error}`);
  if (v.note) lines.push(`      note: ${v.note}`);
  lines.push(...callers(v.calls, '      '));
  for (const cause of v.impliedBy) {
    lines.push(`      needed by ${cause.action} ${cause.resource}: ${cause.reason} (${cause.doc})`);
    const behind = stage.verdicts.find((x) => !x.via && x.principal === v.principal && x.action === cause.action && x.resource === cause.resource);
    lines.push(...callers(behind?.calls ?? [], '        '));
  }
  return lines;
}

function callers(calls: Verdict['calls'], indent: string): string[] {
  const seen = new Map<string, Verdict['calls'][number]>();
  for (const c of calls) {
    const key = `${c.caller ?? ''}\0${c.test ?? ''}`;
    if (!seen.has(key)) seen.set(key, c);
  }
  const shown = [...seen.values()].slice(0, 5).map(
    (c) => `${indent}called by ${c.caller ?? '(no caller)'} in ${c.test ?? '(no test)'} (${c.source}${c.status !== undefined ? `, status ${c.status}` : ''})`,
  );
  if (seen.size > 5) shown.push(`${indent}and ${seen.size - 5} more caller(s)`);
  return shown;
}

/** Unused grants, one line per (role, statement, resources, reason) with its actions, tagged with the stages it
 *  holds in when that is not every stage. */
export function grantLines(
  result: CheckResult,
  stages: StageModel[],
  pick: (s: StageResult) => UnusedGrant[],
  role?: string,
): Array<{ role: string; text: string }> {
  const lines = new Map<string, { role: string; head: string; actions: string[]; tail: string; stages: string[] }>();
  for (const s of result.stages) {
    const model = stages.find((m) => m.stage === s.stage)!;
    for (const g of pick(s).filter((x) => !role || x.role === role)) {
      const resources = g.resources.map((r) => label(r, model)).join(', ');
      const tail = g.platform ? `: ${g.platform.reason} (${g.platform.doc})` : g.partly ? ' (the action is used on the statement\'s other resources)' : '';
      const key = [g.role, g.sid, resources, tail].join('\0');
      const line = lines.get(key) ?? { role: g.role, head: g.sid, actions: [], tail: ` on ${resources}${tail}`, stages: [] };
      if (!line.actions.includes(g.action)) line.actions.push(g.action);
      if (!line.stages.includes(s.stage)) line.stages.push(s.stage);
      lines.set(key, line);
    }
  }
  return [...lines.values()].map((l) => ({
    role: l.role,
    text: `${l.stages.length < result.stages.length ? `[${l.stages.join(', ')}] ` : ''}${l.head}: ${l.actions.join(', ')}${l.tail}`,
  }));
}

/** A resource as the report shows it: the logical id of the resource it belongs to and, for S3 objects, the first
 *  folder of the key (DataBucket/staging/*, RunLogTable/index/byDataset, Key, DatabaseSecret). */
export function label(resource: string, stage: StageModel): string {
  if (resource === '*') return '*';
  let best: string | undefined;
  for (const value of stage.labels.keys()) {
    if (resource.startsWith(value) && (resource.length === value.length || /[/:]/.test(resource[value.length]!)) && (!best || value.length > best.length)) {
      best = value;
    }
  }
  if (!best) {
    const secret = /:secret:(.+)-[A-Za-z0-9]{6}$/.exec(resource);
    if (secret) return `secret ${secret[1]}`;
    const local = resource.replace(/^arn:aws[\w-]*:[\w-]+:[\w-]*:\d*:/, '');
    // An ARN that ends in a resource's name: connection/landing-etl-dev-vpc → connection/GlueConnection.
    const named = /^(.*[/:])([^/:]+)$/.exec(local);
    const id = named && stage.labels.get(named[2]!);
    return id ? `${named[1]}${id}` : local;
  }
  const rest = resource.slice(best.length);
  const name = stage.labels.get(best)!;
  if (!resource.startsWith('arn:aws:s3:::') || !rest.startsWith('/')) return name + rest;
  const segments = rest.slice(1).split('/');
  return segments.length > 1 ? `${name}/${segments[0]}/*` : `${name}/*`;
}

/** docs/iam.md: per role, the actions used, on what, allowed by which statement, in each stage; then what the
 *  platform needs and what no call used. */
export function markdownReport(result: CheckResult, stages: StageModel[], files: string[]): string {
  const recorded = stages[0]!;
  const out: string[] = [];
  out.push('# IAM: what each role does, and which statement allows it', '');
  out.push(
    `Generated by \`node --import tsx scripts/check-iam.ts ${files.join(' ')} --docs FILE\` from ${result.calls} recorded AWS calls, ` +
      `evaluated with [iam-simulate](https://github.com/cloud-copilot/iam-simulate) against the identity policies of each role in the ` +
      `packaged templates (\`.build/package/<stage>/\`) of ${stages.map((s) => s.stage).join(' and ')}. Do not edit: run the check again.`,
    '',
  );
  out.push('| stage | (principal, action) pairs | (principal, action, resource) triples | implied calls |', '|---|---|---|---|');
  for (const s of result.stages) {
    const { pairs, triples, implied } = summarize(s);
    const cell = (c: Counts) => `${c.allowed + c.denied}${c.denied ? ` (**${c.denied} denied**)` : ''}`;
    out.push(`| ${s.stage} | ${cell(pairs)} | ${cell(triples)} | ${cell(implied)} |`);
  }
  const ignored = Object.entries(result.ignored);
  if (ignored.length) out.push('', `Not checked (no deployment role): ${ignored.map(([p, c]) => `${p} (${c} call${c === 1 ? '' : 's'})`).join(', ')}.`);
  out.push(
    '',
    'Resources are named by the logical id of the template resource they belong to (S3 objects by their first folder). ' +
      'Implied calls are those a recorded call needs without a call of its own: KMS behind an SSE-KMS bucket, an encrypted ' +
      'secret, topic or queue.',
  );

  const roles = [...new Set(stages.flatMap((s) => [...s.roles.keys()]))].sort();
  for (const role of roles) {
    out.push('', `## ${role}`, '');
    const rows = new Map<string, { action: string; resource: string; cells: Map<string, Set<string>> }>();
    for (const s of result.stages) {
      const model = stages.find((m) => m.stage === s.stage)!;
      for (const v of s.verdicts.filter((x) => x.principal === role)) {
        // Rows are keyed by the recorded (dev) resource, so that one row shows every stage.
        const recordedResource = v.calls.length ? canonicalSecret(v.calls[0]!.resource, recorded) : v.resource;
        const resourceLabel = label(recordedResource, recorded);
        const action = v.via ? `\`${v.action}\` (implied, via ${v.via})` : `\`${v.action}\``;
        const key = `${action}\0${resourceLabel}`;
        const row = rows.get(key) ?? { action, resource: resourceLabel, cells: new Map<string, Set<string>>() };
        const here = label(v.resource, model);
        const by = v.allowed ? [...new Set(v.matched.map((m) => m.sid))].join(', ') : '**denied**';
        const cell = here === resourceLabel ? by : `${by} (on ${here})`;
        row.cells.set(s.stage, (row.cells.get(s.stage) ?? new Set<string>()).add(cell));
        rows.set(key, row);
      }
    }
    if (!rows.size) out.push('No recorded call.');
    else {
      out.push(`| action | resource | ${result.stages.map((s) => `allowed by (${s.stage})`).join(' | ')} |`);
      out.push(`|---|---|${result.stages.map(() => '---').join('|')}|`);
      for (const row of [...rows.values()].sort((a, b) => a.action.localeCompare(b.action) || a.resource.localeCompare(b.resource))) {
        out.push(`| ${row.action} | ${row.resource} | ${result.stages.map((s) => [...(row.cells.get(s.stage) ?? ['—'])].join('; ')).join(' | ')} |`);
      }
    }
    const platform = grantLines(result, stages, (s) => s.platform, role).map((l) => `- ${l.text}`);
    const unused = grantLines(result, stages, (s) => s.unused, role).map((l) => `- ${l.text}`);
    if (platform.length) out.push('', 'Needed by the platform, not observable locally:', '', ...platform);
    if (unused.length) out.push('', 'Granted, never used (candidates to remove):', '', ...unused);
  }

  const denied = denials(result);
  if (denied.length) {
    out.push('', '## Denied calls', '', '```');
    for (const v of denied) out.push(...describeDenial(v, result.stages.find((s) => s.stage === v.stage)!).map((l) => l.slice(2)));
    out.push('```');
  }
  const warnings = result.stages.flatMap((s) => s.warnings.map((w) => `- [${s.stage}] ${w}`));
  if (warnings.length) out.push('', '## Warnings', '', ...warnings);
  return `${out.join('\n')}\n`;
}
