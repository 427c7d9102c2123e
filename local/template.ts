import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The packaged CloudFormation template of a stage (`npm run package` writes it), resolved for an account that is
 *  not AWS: every intrinsic function is evaluated against physical names CloudFormation would give the resources,
 *  so the local stack runs with exactly the names, environment variables, definition and job arguments a deploy of
 *  that stage has, and the IAM check evaluates the policies exactly as they are deployed. */

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
interface Resource {
  Type: string;
  Properties?: Record<string, Json>;
  Condition?: string;
}
export interface Template {
  Parameters?: Record<string, { Type?: string; Default?: Json }>;
  Conditions?: Record<string, Json>;
  Resources: Record<string, Resource>;
  Outputs?: Record<string, { Value: Json }>;
}

/** What the physical id of a resource is (`Ref`) and its attributes (`Fn::GetAtt`), where the defaults below do
 *  not fit: a secret's ARN (its suffix is random), the database endpoint (local PostgreSQL). */
export interface PhysicalOverride {
  ref?: string;
  attributes?: Record<string, string>;
}

export interface ResolveOptions {
  account: string;
  region: string;
  stackName: string;
  parameters?: Record<string, string>;
  overrides?: Record<string, PhysicalOverride>;
}

export class TemplateError extends Error {
  override name = 'TemplateError';
}

/** Reads `.build/package/<stage>/cloudformation-template-update-stack.json`. */
export function readPackagedTemplate(packageDir: string): Template {
  const file = join(packageDir, 'cloudformation-template-update-stack.json');
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Template;
  } catch (e) {
    throw new TemplateError(`cannot read the packaged template ${file} (run npm run package): ${(e as Error).message}`);
  }
}

const NO_VALUE = Symbol('AWS::NoValue');

export class ResolvedTemplate {
  constructor(
    readonly template: Template,
    readonly options: ResolveOptions,
  ) {}

  resource(logicalId: string): Resource {
    const r = this.template.Resources[logicalId];
    if (!r) throw new TemplateError(`the template has no resource ${logicalId}`);
    return r;
  }

  /** Logical ids of the resources of one type whose condition holds. */
  ofType(type: string): string[] {
    return Object.entries(this.template.Resources)
      .filter(([, r]) => r.Type === type && (!r.Condition || this.condition(r.Condition)))
      .map(([id]) => id);
  }

  /** A resource property with every intrinsic function evaluated. */
  property<T = Json>(logicalId: string, ...path: string[]): T {
    let value: Json | undefined = this.resource(logicalId).Properties ?? {};
    for (const key of path) value = value && typeof value === 'object' && !Array.isArray(value) ? value[key] : undefined;
    return this.evaluate(value ?? null) as T;
  }

  ref(logicalId: string): string {
    const pseudo: Record<string, string> = {
      'AWS::Region': this.options.region,
      'AWS::AccountId': this.options.account,
      'AWS::Partition': 'aws',
      'AWS::StackName': this.options.stackName,
      'AWS::URLSuffix': 'amazonaws.com',
    };
    if (logicalId in pseudo) return pseudo[logicalId]!;
    const parameter = this.template.Parameters?.[logicalId];
    if (parameter) return this.options.parameters?.[logicalId] ?? String(parameter.Default ?? '');
    const override = this.options.overrides?.[logicalId]?.ref;
    if (override !== undefined) return override;
    return this.physical(logicalId).ref;
  }

  getAtt(logicalId: string, attribute: string): string {
    const override = this.options.overrides?.[logicalId]?.attributes?.[attribute];
    if (override !== undefined) return override;
    const value = this.physical(logicalId).attributes[attribute];
    if (value === undefined) throw new TemplateError(`no local value for Fn::GetAtt ${logicalId}.${attribute}`);
    return value;
  }

  /** Every physical value of a resource: its `Ref` and each attribute (overrides applied). The IAM check maps
   *  these between stages to translate a recorded ARN of one stage into another's. */
  physicalValues(logicalId: string): Record<string, string> {
    const attributes = { ...this.physical(logicalId).attributes, ...this.options.overrides?.[logicalId]?.attributes };
    const values: Record<string, string> = { Ref: this.ref(logicalId) };
    for (const name of Object.keys(attributes)) values[name] = this.getAtt(logicalId, name);
    return values;
  }

  condition(name: string): boolean {
    const c = this.template.Conditions?.[name];
    if (c === undefined) throw new TemplateError(`the template has no condition ${name}`);
    return Boolean(this.evaluate(c));
  }

  /** Evaluates Ref, Fn::GetAtt, Fn::Sub, Fn::Join, Fn::Select, Fn::Split, Fn::If, Fn::Equals, Fn::Not, Fn::And,
   *  Fn::Or and Condition; an `AWS::NoValue` drops its key or array element, as CloudFormation does. */
  evaluate(node: Json): Json {
    const value = this.eval(node);
    return value === NO_VALUE ? null : (value as Json);
  }

  private eval(node: Json): Json | typeof NO_VALUE {
    if (Array.isArray(node)) return node.map((n) => this.eval(n)).filter((n) => n !== NO_VALUE) as Json[];
    if (node === null || typeof node !== 'object') return node;
    const keys = Object.keys(node);
    if (keys.length === 1) {
      const [fn] = keys as [string];
      const arg = node[fn]!;
      switch (fn) {
        case 'Ref': {
          if (arg === 'AWS::NoValue') return NO_VALUE;
          const type = String(this.template.Parameters?.[String(arg)]?.Type ?? '');
          const value = this.ref(String(arg));
          return type.startsWith('List<') || type === 'CommaDelimitedList' ? value.split(',') : value;
        }
        case 'Fn::GetAtt': {
          const [id, ...attr] = Array.isArray(arg) ? arg.map(String) : String(arg).split('.');
          return this.getAtt(id!, attr.join('.'));
        }
        case 'Fn::Sub':
          return this.sub(arg);
        case 'Fn::Join': {
          const [sep, items] = arg as [string, Json];
          return (this.eval(items) as Json[]).map(String).join(sep);
        }
        case 'Fn::Select': {
          const [index, items] = arg as [Json, Json];
          return (this.eval(items) as Json[])[Number(this.eval(index))] ?? null;
        }
        case 'Fn::Split': {
          const [sep, text] = arg as [string, Json];
          return String(this.eval(text)).split(sep);
        }
        case 'Fn::If': {
          const [cond, yes, no] = arg as [string, Json, Json];
          return this.condition(cond) ? this.eval(yes) : this.eval(no);
        }
        case 'Fn::Equals': {
          const [a, b] = (arg as Json[]).map((x) => this.eval(x));
          return JSON.stringify(a) === JSON.stringify(b);
        }
        case 'Fn::Not':
          return !this.eval((arg as Json[])[0]!);
        case 'Fn::And':
          return (arg as Json[]).every((x) => this.eval(x));
        case 'Fn::Or':
          return (arg as Json[]).some((x) => this.eval(x));
        case 'Condition':
          return this.condition(String(arg));
        default:
          if (fn.startsWith('Fn::')) throw new TemplateError(`unsupported intrinsic function ${fn}`);
      }
    }
    const out: Record<string, Json> = {};
    for (const [k, v] of Object.entries(node)) {
      const value = this.eval(v);
      if (value !== NO_VALUE) out[k] = value;
    }
    return out;
  }

  private sub(arg: Json): string {
    const [text, vars] = Array.isArray(arg) ? (arg as [string, Record<string, Json>]) : [String(arg), {}];
    return text.replace(/\$\{([^}!][^}]*)\}/g, (_, name: string) => {
      if (name in vars) return String(this.eval(vars[name]!));
      const [id, ...attr] = name.split('.');
      return attr.length ? this.getAtt(id!, attr.join('.')) : this.ref(id!);
    });
  }

  /** The names CloudFormation gives a resource of each type this project uses: the name property when the
   *  template sets one, else a generated `<stack>-<logical id>` as CloudFormation would. */
  private physical(logicalId: string): { ref: string; attributes: Record<string, string> } {
    const r = this.resource(logicalId);
    const { account: a, region: rg, stackName } = this.options;
    const named = (prop: string) => {
      const v = r.Properties?.[prop];
      return v === undefined ? `${stackName}-${logicalId}`.toLowerCase() : String(this.evaluate(v));
    };
    switch (r.Type) {
      case 'AWS::S3::Bucket': {
        const name = named('BucketName');
        return { ref: name, attributes: { Arn: `arn:aws:s3:::${name}`, DomainName: `${name}.s3.amazonaws.com` } };
      }
      case 'AWS::DynamoDB::Table': {
        const name = named('TableName');
        return { ref: name, attributes: { Arn: `arn:aws:dynamodb:${rg}:${a}:table/${name}` } };
      }
      case 'AWS::SNS::Topic': {
        const arn = `arn:aws:sns:${rg}:${a}:${named('TopicName')}`;
        return { ref: arn, attributes: { TopicArn: arn, TopicName: named('TopicName') } };
      }
      case 'AWS::SQS::Queue': {
        const name = named('QueueName');
        return {
          ref: `https://sqs.${rg}.amazonaws.com/${a}/${name}`,
          attributes: { Arn: `arn:aws:sqs:${rg}:${a}:${name}`, QueueName: name },
        };
      }
      case 'AWS::StepFunctions::StateMachine': {
        const name = named('StateMachineName');
        return { ref: `arn:aws:states:${rg}:${a}:stateMachine:${name}`, attributes: { Name: name } };
      }
      case 'AWS::SecretsManager::Secret': {
        // Secrets Manager appends six random characters; the local stack overrides this with the real ARN.
        const arn = `arn:aws:secretsmanager:${rg}:${a}:secret:${named('Name')}-AbCdEf`;
        return { ref: arn, attributes: { Id: arn } };
      }
      case 'AWS::IAM::Role': {
        const name = named('RoleName');
        return { ref: name, attributes: { Arn: `arn:aws:iam::${a}:role/${name}`, RoleId: `AROA${logicalId.toUpperCase()}` } };
      }
      case 'AWS::KMS::Key': {
        const id = `00000000-0000-0000-0000-${Buffer.from(logicalId).toString('hex').padEnd(12, '0').slice(0, 12)}`;
        return { ref: id, attributes: { Arn: `arn:aws:kms:${rg}:${a}:key/${id}`, KeyId: id } };
      }
      case 'AWS::Lambda::Function': {
        const name = named('FunctionName');
        return { ref: name, attributes: { Arn: `arn:aws:lambda:${rg}:${a}:function:${name}` } };
      }
      case 'AWS::Logs::LogGroup': {
        const name = named('LogGroupName');
        return { ref: name, attributes: { Arn: `arn:aws:logs:${rg}:${a}:log-group:${name}:*` } };
      }
      case 'AWS::Glue::Job':
      case 'AWS::Glue::SecurityConfiguration':
        return { ref: named('Name'), attributes: {} };
      case 'AWS::Glue::Connection':
        return { ref: String(this.evaluate((r.Properties?.ConnectionInput as Record<string, Json>).Name!)), attributes: {} };
      case 'AWS::RDS::DBCluster': {
        const id = named('DBClusterIdentifier');
        return { ref: id, attributes: { 'Endpoint.Address': `${id}.cluster-local.${rg}.rds.amazonaws.com`, 'Endpoint.Port': '5432' } };
      }
      case 'AWS::Cognito::UserPool': {
        // Cognito names a pool <region>_<random>; the logical id stands for the random part, so the local issuer and
        // the IAM check agree on it without an override.
        const id = `${rg}_${logicalId}`;
        return {
          ref: id,
          attributes: { Arn: `arn:aws:cognito-idp:${rg}:${a}:userpool/${id}`, ProviderName: `cognito-idp.${rg}.amazonaws.com/${id}`, ProviderURL: `https://cognito-idp.${rg}.amazonaws.com/${id}` },
        };
      }
      case 'AWS::Cognito::UserPoolDomain':
        return { ref: named('Domain'), attributes: {} };
      case 'AWS::IAM::ManagedPolicy': {
        const arn = `arn:aws:iam::${a}:policy/${named('ManagedPolicyName')}`;
        return { ref: arn, attributes: { PolicyArn: arn } };
      }
      case 'AWS::ApiGatewayV2::Api':
        return { ref: 'local', attributes: { ApiEndpoint: 'https://local.execute-api.amazonaws.com' } };
      default:
        return { ref: `${stackName}-${logicalId}`, attributes: {} };
    }
  }
}

/** The logical id of the resource a `Fn::GetAtt [X, Arn]` names, as the template writes it (unevaluated). */
export function logicalIdOfGetAtt(node: Json | undefined): string | undefined {
  if (node && typeof node === 'object' && !Array.isArray(node) && 'Fn::GetAtt' in node) {
    const arg = node['Fn::GetAtt']!;
    return Array.isArray(arg) ? String(arg[0]) : String(arg).split('.')[0];
  }
  return undefined;
}
