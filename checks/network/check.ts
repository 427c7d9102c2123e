import { VPC_PRINCIPAL_SERVICES } from '../../cli/doctor-aws';
import type { RecordedCall } from '../../local/iam-check';
import type { Template } from '../../local/template';
import { serviceOfAction, TemplateNetwork, type VpcPrincipal } from './paths';

/** Every call has a network path, proven by observation: for each principal that runs in a VPC in a packaged stage,
 *  every service the recorded calls show its role using, and every service the platform calls for it (from the
 *  template's settings), must be reachable from its subnets; the database on its port. A created network is proven
 *  from the template; a given one is the account's, so there the check proves what it can: that `landing-etl doctor`
 *  (which reads the account) checks a path for each of those services. */

/** The name `landing-etl doctor` gives each VPC principal of the template (cli/doctor-aws.ts). */
export const DOCTOR_NAMES: Record<string, keyof typeof VPC_PRINCIPAL_SERVICES> = {
  LoadJob: 'load job',
  QueryLambdaFunction: 'query function',
};

export const DATABASE = 'postgresql';

export interface PathRow {
  stage: string;
  principal: string;
  role: string;
  service: string;
  /** What shows the principal needs it: recorded calls (their call sites), a template setting, the database host. */
  needed: string;
  result: 'path' | 'missing' | 'unproven';
  /** The path, the missing piece, or why the template cannot show it. */
  detail: string;
}

export interface NetworkCheckResult {
  rows: PathRow[];
  /** Everything that fails the check, each naming principal, service, call site and the missing piece. */
  failures: string[];
}

/** Where the recorded calls of one service came from: action, test and file:line, the first few. */
function callSites(calls: RecordedCall[]): string {
  const sites = calls.slice(0, 2).map((c) => `${c.action}${c.caller ? ` by ${c.caller}` : ''}${c.test ? ` in ${c.test}` : ''} (${c.source})`);
  return calls.length > 2 ? `${sites.join(', ')} and ${calls.length - 2} more` : sites.join(', ');
}

export function checkNetwork(calls: RecordedCall[], stages: Array<{ stage: string; template: Template }>): NetworkCheckResult {
  const rows: PathRow[] = [];
  const failures: string[] = [];
  for (const { stage, template } of stages) {
    const network = new TemplateNetwork(template);
    for (const p of network.principals()) {
      const own = calls.filter((c) => c.principal === p.role);
      if (!own.length) {
        failures.push(`${stage}: ${p.id} runs in a VPC but no call of its role ${p.role} was recorded: nothing proves which services it needs (run the e2e tests with LANDING_ETL_AWS_CALLS)`);
      }
      const needs = new Map<string, string>();
      const byService = new Map<string, RecordedCall[]>();
      for (const c of own) byService.set(serviceOfAction(c.action), [...(byService.get(serviceOfAction(c.action)) ?? []), c]);
      for (const [service, sites] of byService) needs.set(service, `recorded: ${callSites(sites)}`);
      for (const { service, because } of network.platformServices(p)) if (!needs.has(service)) needs.set(service, `platform: ${because}`);
      for (const [service, needed] of needs) rows.push(row(network, stage, p, service, needed));
      if (p.databaseHost !== undefined) rows.push(row(network, stage, p, DATABASE, 'handed the database host'));
      failures.push(...doctorGaps(stage, p, [...needs.keys()]));
    }
  }
  for (const r of rows) if (r.result === 'missing') failures.push(`${r.stage}: ${r.principal} (${r.role}) → ${r.service}, needed by ${r.needed}: missing ${r.detail}`);
  return { rows, failures };
}

function row(network: TemplateNetwork, stage: string, p: VpcPrincipal, service: string, needed: string): PathRow {
  const base = { stage, principal: p.id, role: p.role, service, needed };
  if (p.given.length) {
    return {
      ...base,
      result: 'unproven',
      detail:
        service === DATABASE
          ? `the account's network (parameters ${p.given.join(', ')}) and database: landing-etl doctor checks ${DATABASE} only for a database the stack creates`
          : `the account's network (parameters ${p.given.join(', ')}): landing-etl doctor --stage ${stage} checks this path`,
    };
  }
  const path = service === DATABASE ? network.pathToDatabase(p) : network.pathTo(p, service);
  return { ...base, result: path.ok ? 'path' : 'missing', detail: path.ok ? path.path : path.missing };
}

/** The services `landing-etl doctor` does not check a path for, of those the principal needs. */
function doctorGaps(stage: string, p: VpcPrincipal, services: string[]): string[] {
  const name = DOCTOR_NAMES[p.id];
  if (!name) return [`${stage}: ${p.id} runs in a VPC but landing-etl doctor does not know it: add it to DOCTOR_NAMES (checks/network/check.ts) and VPC_PRINCIPAL_SERVICES (cli/doctor-aws.ts)`];
  const checked = new Set<string>(VPC_PRINCIPAL_SERVICES[name]);
  return services
    .filter((s) => !checked.has(s))
    .map((s) => `${stage}: ${p.id} needs ${s} but landing-etl doctor does not check the ${name}'s path to it: add "${s}" to VPC_PRINCIPAL_SERVICES['${name}'] (cli/doctor-aws.ts)`);
}

/** The table principal → service → path, one line each. */
export function textReport(result: NetworkCheckResult): string {
  const lines = ['stage  principal (role)  service  result  path / missing piece  [needed by]'];
  for (const r of result.rows) lines.push(`${r.stage}  ${r.principal} (${r.role})  ${r.service}  ${r.result}  ${r.detail}  [${r.needed}]`);
  lines.push(result.failures.length ? `\n${result.failures.length} failure(s):\n${result.failures.map((f) => `FAIL ${f}`).join('\n')}` : '\nevery VPC principal has a path to every service it needs');
  return lines.join('\n');
}
