import { createServer, type Server } from 'node:http';
import { resolveTarget, stageOutputs, StageNotFoundError } from '../../cli/target';

/** A CloudFormation stand-in (the Query API's DescribeStacks) behind the real AWS SDK client. */
let server: Server;
const requests: URLSearchParams[] = [];
const stacks: Record<string, Record<string, string>> = {
  'landing-etl-dev': {
    RunLogTableName: 'landing-etl-dev-runlog',
    StateMachineArn: 'arn:aws:states:eu-west-1:123456789012:stateMachine:landing-etl-dev-ingestion',
    TopicArn: 'arn:aws:sns:eu-west-1:123456789012:landing-etl-dev-alerts',
  },
  'landing-etl-half': { TopicArn: 'arn:aws:sns:eu-west-1:123456789012:x' },
};

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const params = new URLSearchParams(body);
      requests.push(params);
      const outputs = stacks[params.get('StackName') ?? ''];
      res.setHeader('content-type', 'text/xml');
      if (!outputs) {
        res.statusCode = 400;
        res.end(
          `<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code><Message>Stack with id ${params.get('StackName')} does not exist</Message></Error><RequestId>r</RequestId></ErrorResponse>`,
        );
        return;
      }
      const members = Object.entries(outputs)
        .map(([k, v]) => `<member><OutputKey>${k}</OutputKey><OutputValue>${v}</OutputValue></member>`)
        .join('');
      res.end(
        `<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult><Stacks><member>` +
          `<StackName>${params.get('StackName')}</StackName><StackId>id</StackId><CreationTime>2026-01-01T00:00:00Z</CreationTime>` +
          `<StackStatus>UPDATE_COMPLETE</StackStatus><Outputs>${members}</Outputs></member></Stacks></DescribeStacksResult>` +
          `<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></DescribeStacksResponse>`,
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_CLOUDFORMATION: `http://127.0.0.1:${address.port}`,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_EC2_METADATA_DISABLED: 'true',
  });
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

test('--stage reads the run-log table and state machine from the outputs of stack landing-etl-<stage>', async () => {
  expect(await stageOutputs('dev', 'eu-west-1')).toEqual({
    runLogTable: 'landing-etl-dev-runlog',
    stateMachineArn: 'arn:aws:states:eu-west-1:123456789012:stateMachine:landing-etl-dev-ingestion',
  });
  expect(requests.at(-1)!.get('Action')).toBe('DescribeStacks');
});

test('without --region the stage is addressed in the region its state machine is in', async () => {
  process.env.AWS_REGION = 'us-east-1';
  const target = await resolveTarget({ stage: 'dev' });
  expect(target.label).toBe('stage dev');
  expect(await target.sfn.config.region()).toBe('eu-west-1');
});

test('a stage that is not deployed is a clear error naming the stack', async () => {
  await expect(stageOutputs('nope', 'eu-west-1')).rejects.toThrow(StageNotFoundError);
  await expect(stageOutputs('nope', 'eu-west-1')).rejects.toThrow('stage "nope" is not deployed in eu-west-1: no CloudFormation stack landing-etl-nope');
});

test('a stack without the outputs the CLI needs is a clear error naming them', async () => {
  await expect(stageOutputs('half', 'eu-west-1')).rejects.toThrow(
    'stack landing-etl-half has no output RunLogTableName, StateMachineArn; is it a landing-etl deployment?',
  );
});
