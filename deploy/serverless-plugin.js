// Local Serverless plugin for landing-etl:
// - `${ingestionDefinition:}` is the state machine's definition as text, composed from its one stage definition
//   (statemachine/definition.js) for the stage's Glue timeout; as text, because the file source parses JSON and
//   drops its nulls, which in ASL mean "discard the result": `"ResultPath": null` must reach Step Functions;
// - `${glueArtifacts:hash|prefix|pythonModules}` builds the Glue artifacts (deploy/glue-artifacts.js) while the
//   configuration of `sls package` or `sls deploy` is resolved, so the template names them by content hash; any other
//   command (remove, info) gets placeholders and builds nothing, so it needs neither Python nor the wheels;
// - `${network:mode|glueAvailabilityZone}`: the network the stage runs in (deploy/network.js);
// - `${consolePage:hash}` builds the operator page (deploy/console-page.js) into .build/console/, which the console
//   function's package includes;
// - `${freshnessAlarms:}` is a staleness alarm per dataset whose contract has a schedule (deploy/freshness-alarms.js);
// - `${checkedParams:}` checks the stage's parameters while serverless.yml is resolved, before anything is validated
//   or built, and fails with the name of every missing or invalid one;
// - on deploy, uploads the artifacts to the deployment bucket under glue/<hash>/ before the stack is updated, and once
//   the stack is updated prunes the glue/<hash>/ folders of old deploys (deploy/glue-bucket.js);
// - on remove, deletes every version under glue/ before osls empties its own serverless/<service>/<stage>/ prefix
//   and deletes the stack, which would otherwise stop at a deployment bucket that is not empty.
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { S3Client } from '@aws-sdk/client-s3';
import { join } from 'node:path';
import { buildConsolePage } from './console-page.js';
import { freshnessAlarms } from './freshness-alarms.js';
import { buildGlueArtifacts } from './glue-artifacts.js';
import { deleteGlueArtifacts, glueHashOfUri, pruneGlueArtifacts, uploadGlueArtifacts } from './glue-bucket.js';
import { executionTimeoutSeconds, ingestionDefinition } from '../statemachine/definition.js';
import { glueAvailabilityZone, networkMode } from './network.js';
import { CHECKED_PARAMS, checkedValues, paramProblems } from './params.js';

/** CloudFormation's answer when the stack, or a resource of it, is not there (osls: isCloudFormationMissing*Error). */
const isMissing = (e) => e?.name === 'ValidationError' && /does not exist/.test(String(e.message));

/** The commands whose template is deployed, so it must name the Glue artifacts that are uploaded. */
const BUILDING_COMMANDS = ['package', 'deploy'];

/** The `${glueArtifacts:ADDRESS}` values of a build ({ hash, files }), or null for a command that builds nothing. */
export function glueArtifactValues(build) {
  const hash = build?.hash ?? 'not-built';
  const prefix = `glue/${hash}`;
  return {
    hash,
    prefix,
    // Consumed inside Fn::Sub, which fills in the deployment bucket.
    pythonModules: (build?.files ?? [])
      .filter((f) => f.startsWith('wheels/'))
      .map((f) => `s3://\${ServerlessDeploymentBucket}/${prefix}/${f}`)
      .join(','),
  };
}

export default class LandingEtlDeploy {
  constructor(serverless, _options, { log }) {
    this.serverless = serverless;
    this.log = log;
    this.provider = serverless.getProvider('aws');
    let artifacts;
    const built = () => (artifacts ??= buildGlueArtifacts(serverless.serviceDir));
    let page;
    this.configurationVariablesSources = {
      consolePage: {
        resolve: ({ address }) => {
          if (address !== 'hash') throw new Error(`consolePage:${address} is not one of hash`);
          return { value: (page ??= buildConsolePage(serverless.serviceDir)).hash };
        },
      },
      checkedParams: {
        resolve: async ({ resolveVariable }) => {
          const params = {};
          for (const name of CHECKED_PARAMS) params[name] = await resolveVariable(`param:${name}`);
          const stage = await resolveVariable('sls:stage');
          const problems = paramProblems(params, stage);
          // Only what builds or deploys the stack needs them: `sls remove` and `sls info` need the stage alone.
          const checked = ['package', 'deploy'].includes(serverless.processedInput?.commands?.[0]);
          if (!problems.length || !checked) return { value: checkedValues(params) };
          throw new serverless.classes.Error(
            `Stage "${stage}" cannot be packaged: ${problems.join('; ')}. Pass them as --param="NAME=VALUE" or set ` +
              `them under params.${stage} in serverless.yml (docs/deployment.md: Parameters).`,
          );
        },
      },
      freshnessAlarms: {
        resolve: async ({ resolveVariable }) => {
          const stage = await resolveVariable('sls:stage');
          const minutes = Number(await resolveVariable('param:freshnessCheckMinutes'));
          // The namespace the checker writes (serverless.yml: functions.freshness METRICS_NAMESPACE).
          return { value: freshnessAlarms(join(serverless.serviceDir, 'datasets'), { namespace: `landing-etl/${stage}`, periodSeconds: minutes * 60 }) };
        },
      },
      ingestionDefinition: {
        resolve: async ({ resolveVariable }) => {
          const timeoutSeconds = executionTimeoutSeconds(Number(await resolveVariable('param:glueTimeoutMinutes')));
          return { value: JSON.stringify(ingestionDefinition({ timeoutSeconds }), null, 2) };
        },
      },
      glueArtifacts: {
        resolve: ({ address }) => {
          const builds = BUILDING_COMMANDS.includes(serverless.processedInput?.commands?.[0]);
          const values = glueArtifactValues(builds ? built() : null);
          if (!(address in values)) throw new Error(`glueArtifacts:${address} is not one of ${Object.keys(values).join(', ')}`);
          return { value: values[address] };
        },
      },
      network: {
        resolve: async ({ address, resolveVariable }) => {
          const param = async (name) => String((await resolveVariable(`param:${name}`)) ?? '').trim();
          if (address === 'mode') return { value: networkMode(await param('subnetIds')) };
          if (address !== 'glueAvailabilityZone') throw new Error(`network:${address} is not one of mode, glueAvailabilityZone`);
          const command = serverless.processedInput?.commands?.[0];
          const value = await glueAvailabilityZone({
            subnetIds: await param('subnetIds'),
            given: await param('glueAvailabilityZone'),
            // Only a deploy has (and needs) the account: package stays offline.
            describe:
              command === 'deploy' ? async (id) => (await import('./subnet-zones.js')).subnetZone(await this.provider.getAwsSdkV3Config(), id) : null,
            required: BUILDING_COMMANDS.includes(command),
          });
          return { value };
        },
      },
    };
    this.hooks = {
      'after:aws:deploy:deploy:uploadArtifacts': () => this.uploadGlueArtifacts(built()),
      'after:aws:deploy:finalize:cleanup': () => this.pruneGlueArtifacts(built()),
      'before:remove:remove': () => this.removeGlueArtifacts(),
    };
  }

  /** One client of each service per command, with the provider's credentials and region. */
  async clients() {
    this.sdkClients ??= this.provider.getAwsSdkV3Config().then((config) => ({
      s3: new S3Client(config),
      cloudFormation: new CloudFormationClient(config),
    }));
    return this.sdkClients;
  }

  /** The stack as DescribeStacks sees it, or null when it does not exist. */
  async stack() {
    const { cloudFormation } = await this.clients();
    const StackName = this.provider.naming.getStackName();
    return cloudFormation.send(new DescribeStacksCommand({ StackName })).then(
      (r) => r.Stacks?.[0] ?? null,
      (e) => (isMissing(e) ? null : Promise.reject(e)),
    );
  }

  async uploadGlueArtifacts(build) {
    if (this.serverless.service.provider.shouldNotDeploy) return;
    // Before the update: the Glue artifacts the stack runs now stay until the next deploy's pruning at the earliest.
    const outputs = (await this.stack())?.Outputs ?? [];
    this.previousGlueHash = glueHashOfUri(outputs.find((o) => o.OutputKey === 'GlueArtifactsUri')?.OutputValue);
    const { s3 } = await this.clients();
    const bucket = await this.provider.getServerlessDeploymentBucketName();
    const uploaded = await uploadGlueArtifacts(s3, bucket, build);
    this.log.notice(`Glue artifacts: ${uploaded} of ${build.files.length} files uploaded to s3://${bucket}/glue/${build.hash}/`);
  }

  /** After a successful update, as osls prunes its own artifacts: keeps as many glue/<hash>/ folders as it keeps
   *  deployments (provider.deploymentBucket.maxPreviousDeploymentArtifacts, default 5), always the one just deployed
   *  and the one the stack ran before. */
  async pruneGlueArtifacts({ hash }) {
    if (this.serverless.service.provider.shouldNotDeploy) return;
    const keep = this.serverless.service.provider.deploymentBucketObject?.maxPreviousDeploymentArtifacts ?? 5;
    const { s3 } = await this.clients();
    const bucket = await this.provider.getServerlessDeploymentBucketName();
    const { removed } = await pruneGlueArtifacts(s3, bucket, { keep: Math.max(keep, 1), protect: [hash, this.previousGlueHash] });
    if (removed.length) this.log.info(`Glue artifacts: removed ${removed.map((h) => `glue/${h}/`).join(', ')} from s3://${bucket}`);
  }

  /** Before osls empties its own prefix and deletes the stack. A stack with termination protection is left whole:
   *  osls refuses to remove it right after this hook, and its Glue jobs must keep their scripts. */
  async removeGlueArtifacts() {
    let stack;
    try {
      stack = await this.stack();
    } catch (e) {
      this.log.warning(
        `Glue artifacts: could not check stack ${this.provider.naming.getStackName()} (${e.message}); glue/ left in the ` +
          'deployment bucket, so the removal may stop at that bucket: empty its glue/ prefix (every version) and remove again.',
      );
      return;
    }
    if (!stack) return;
    if (stack.EnableTerminationProtection) return;
    let bucket;
    try {
      bucket = await this.provider.getServerlessDeploymentBucketName();
    } catch (e) {
      if (isMissing(e)) return;
      throw e;
    }
    const { s3 } = await this.clients();
    try {
      const deleted = await deleteGlueArtifacts(s3, bucket);
      this.log.notice(`Glue artifacts: deleted ${deleted} object versions and delete markers under s3://${bucket}/glue/`);
    } catch (e) {
      if (e?.name === 'NoSuchBucket') return;
      throw e;
    }
  }
}
