import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ListObjectVersionsCommand, S3Client } from '@aws-sdk/client-s3';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { SFNClient } from '@aws-sdk/client-sfn';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { userInfo } from 'node:os';
import { DatasetLog } from '../functions/shared/dataset-log';
import { documentClient } from '../functions/shared/document-client';
import { ReplayLog } from '../functions/shared/replay';
import { RunLog } from '../functions/shared/run-log';
import { localAws } from '../local/layout';
import { datasetLogFor, landingFolderObject, replayLogFor, runLogFor } from '../local/client';
import type { ObjectVersion, ReplayPorts } from './replay';
import { ReplaySendError } from './errors';
import { runningStack, StackNotRunningError } from './stack-file';

/** Where the CLI reads the run log and starts executions: the local stack, or a deployed stage. */
export interface Target {
  label: string;
  /** The flags that reach this target from another command: `--stage … --region …`, or none for the local stack. */
  flags: string;
  runLog: RunLog;
  datasetLog: DatasetLog;
  replayLog: ReplayLog;
  sfn: SFNClient;
  stateMachineArn: string;
}

export class StageNotFoundError extends Error {
  override name = 'StageNotFoundError';
}

/** Every output of stack `landing-etl-<stage>`, by key. */
export async function allStageOutputs(stage: string, region: string | undefined): Promise<Record<string, string>> {
  const stackName = `landing-etl-${stage}`;
  const cfn = new CloudFormationClient(region ? { region } : {});
  let outputs: Record<string, string>;
  try {
    const { Stacks = [] } = await cfn.send(new DescribeStacksCommand({ StackName: stackName }));
    outputs = Object.fromEntries((Stacks[0]?.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']));
  } catch (e) {
    if ((e as Error).name === 'ValidationError') {
      throw new StageNotFoundError(`stage "${stage}" is not deployed${region ? ` in ${region}` : ''}: no CloudFormation stack ${stackName}`);
    }
    throw e;
  } finally {
    cfn.destroy();
  }
  return outputs;
}

/** The outputs of stack `landing-etl-<stage>` the CLI needs (the deployment's contract). */
export async function stageOutputs(stage: string, region: string | undefined) {
  const stackName = `landing-etl-${stage}`;
  const outputs = await allStageOutputs(stage, region);
  const missing = ['RunLogTableName', 'StateMachineArn'].filter((k) => !outputs[k]);
  if (missing.length > 0) throw new StageNotFoundError(`stack ${stackName} has no output ${missing.join(', ')}; is it a landing-etl deployment?`);
  return { runLogTable: outputs.RunLogTableName!, stateMachineArn: outputs.StateMachineArn! };
}

export async function resolveTarget(opts: { stage?: string | undefined; region?: string | undefined }): Promise<Target> {
  if (opts.stage) {
    const { runLogTable, stateMachineArn } = await stageOutputs(opts.stage, opts.region);
    // The state machine's ARN names the region the stack is in.
    const region = opts.region ?? stateMachineArn.split(':')[3];
    const doc = documentClient(new DynamoDBClient({ region }));
    return {
      label: `stage ${opts.stage}`,
      flags: `--stage ${opts.stage} --region ${region}`,
      runLog: new RunLog(doc, runLogTable),
      datasetLog: new DatasetLog(doc, runLogTable),
      replayLog: new ReplayLog(doc, runLogTable),
      sfn: new SFNClient({ region }),
      stateMachineArn,
    };
  }
  const stack = runningStack();
  return {
    label: 'the local stack',
    flags: '',
    runLog: runLogFor(stack),
    datasetLog: datasetLogFor(stack),
    replayLog: replayLogFor(stack),
    sfn: new SFNClient({ endpoint: stack.awsEndpoint, ...localAws }),
    stateMachineArn: stack.stateMachineArn,
  };
}

/** What a replay needs of its target: the run log, the landing bucket's versions and the landing queue, called as
 *  the person running the CLI (docs/replay.md lists the permissions). */
export async function resolveReplayPorts(opts: { stage?: string | undefined; region?: string | undefined }): Promise<ReplayPorts> {
  if (opts.stage) {
    const outputs = await allStageOutputs(opts.stage, opts.region);
    const missing = ['RunLogTableName', 'StateMachineArn', 'LandingQueueUrl'].filter((k) => !outputs[k]);
    if (missing.length > 0) throw new StageNotFoundError(`stack landing-etl-${opts.stage} has no output ${missing.join(', ')}; deploy this version of landing-etl first`);
    const region = opts.region ?? outputs.StateMachineArn!.split(':')[3];
    const s3 = new S3Client({ region });
    const sts = new STSClient({ region });
    return {
      replayLog: new ReplayLog(documentClient(new DynamoDBClient({ region })), outputs.RunLogTableName!),
      versions: (bucket, key) => s3Versions(s3, bucket, key),
      send: sender(new SQSClient({ region }), outputs.LandingQueueUrl!),
      // Needs no permission: "No permissions are required to perform this operation" (AWS STS API Reference, GetCallerIdentity).
      caller: async () => (await sts.send(new GetCallerIdentityCommand({}))).Arn!,
    };
  }
  const stack = runningStack();
  if (!stack.landingQueueUrl) throw new StackNotRunningError('the running local stack names no landing queue in its stack file: restart it (npm start)');
  const s3 = new S3Client({ endpoint: stack.awsEndpoint, forcePathStyle: true, ...localAws });
  return {
    replayLog: replayLogFor(stack),
    // Folder mode: the landing folder is the bucket, and a file is its key's one version (landing-watcher.ts).
    versions:
      stack.s3Mode === 'folder'
        ? async (_bucket, key) => {
            const o = await landingFolderObject(stack, key);
            return o ? [{ versionId: o.versionId, eTag: o.eTag, size: o.size, isLatest: true, deleteMarker: false }] : [];
          }
        : (bucket, key) => s3Versions(s3, bucket, key),
    send: sender(new SQSClient({ endpoint: stack.awsEndpoint, ...localAws }), stack.landingQueueUrl),
    caller: async () => `local:${userInfo().username}`,
  };
}

async function s3Versions(s3: S3Client, bucket: string, key: string): Promise<ObjectVersion[]> {
  const versions: ObjectVersion[] = [];
  let markers: { KeyMarker?: string | undefined; VersionIdMarker?: string | undefined } = {};
  for (;;) {
    const page = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: key, ...markers }));
    for (const v of page.Versions ?? []) {
      if (v.Key === key) versions.push({ versionId: v.VersionId === 'null' ? undefined : v.VersionId, eTag: v.ETag?.replace(/"/g, ''), size: v.Size ?? 0, isLatest: Boolean(v.IsLatest), deleteMarker: false });
    }
    for (const m of page.DeleteMarkers ?? []) if (m.Key === key) versions.push({ versionId: m.VersionId, size: 0, isLatest: Boolean(m.IsLatest), deleteMarker: true });
    if (!page.IsTruncated) return versions;
    markers = { KeyMarker: page.NextKeyMarker, VersionIdMarker: page.NextVersionIdMarker };
  }
}

/** SendMessageBatch, ten messages at a time (SQS's most per batch); an entry SQS refuses is an error naming it. */
function sender(sqs: SQSClient, queueUrl: string): ReplayPorts['send'] {
  return async (bodies) => {
    for (let i = 0; i < bodies.length; i += 10) {
      const batch = bodies.slice(i, i + 10);
      const { Failed = [] } = await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: batch.map((MessageBody, j) => ({ Id: String(i + j), MessageBody })) }));
      if (Failed.length > 0) {
        throw new ReplaySendError(`the landing queue refused ${Failed.length} of messages ${i + 1}–${i + batch.length} (${Failed.map((f) => `${f.Id}: ${f.Code}`).join(', ')}); ${i} sent before them`);
      }
    }
  };
}
