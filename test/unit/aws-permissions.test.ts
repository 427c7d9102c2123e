import { runSimulation } from '@cloud-copilot/iam-simulate';
import { credentialOf, permissionsFor, type AwsRequest, type Permission } from '../../local/aws-permissions';

const scope = { account: '000000000000', region: 'us-east-1' };
const table = 'arn:aws:dynamodb:us-east-1:000000000000:table';
const object = (key: string) => `arn:aws:s3:::b/${key}`;

const s3 = (method: string, url: string, headers: Record<string, string> = {}, body?: string): AwsRequest => ({
  method,
  url,
  headers,
  ...(body ? { body } : {}),
});
const json = (target: string, body: object): AwsRequest => ({
  method: 'POST',
  url: '/',
  headers: { 'x-amz-target': target },
  body: JSON.stringify(body),
});
const pairs = (...list: Array<[string, string]>): Permission[] => list.map(([action, resource]) => ({ action, resource }));

const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:db-AbCdEf';
const EXECUTION_ARN = 'arn:aws:states:us-east-1:000000000000:execution:ingestion:ing-1';
const MACHINE_ARN = 'arn:aws:states:us-east-1:000000000000:stateMachine:ingestion';

/** [what, service, request, the permissions it needs] */
const cases: Array<[string, string, AwsRequest, Permission[]]> = [
  ['GetObject (the JS SDK adds x-id)', 's3', s3('GET', '/b/in/a%20b%2Bc.csv?x-id=GetObject'), pairs(['s3:GetObject', object('in/a b+c.csv')])],
  ['GetObject of a version', 's3', s3('GET', '/b/k?versionId=v1'), pairs(['s3:GetObjectVersion', object('k')])],
  ['HeadObject', 's3', s3('HEAD', '/b/k'), pairs(['s3:GetObject', object('k')])],
  ['PutObject', 's3', s3('PUT', '/b/dir/k.csv'), pairs(['s3:PutObject', object('dir/k.csv')])],
  [
    'PutObject with tags and a canned ACL',
    's3',
    s3('PUT', '/b/k', { 'x-amz-tagging': 'a=b', 'x-amz-acl': 'private' }),
    pairs(['s3:PutObject', object('k')], ['s3:PutObjectTagging', object('k')], ['s3:PutObjectAcl', object('k')]),
  ],
  [
    'CopyObject of a version',
    's3',
    s3('PUT', '/b/dst', { 'x-amz-copy-source': '/src/a%20b?versionId=v1' }),
    pairs(['s3:GetObjectVersion', 'arn:aws:s3:::src/a b'], ['s3:PutObject', object('dst')]),
  ],
  ['CopyObject', 's3', s3('PUT', '/b/dst', { 'x-amz-copy-source': 'src/k' }), pairs(['s3:GetObject', 'arn:aws:s3:::src/k'], ['s3:PutObject', object('dst')])],
  ['CreateMultipartUpload', 's3', s3('POST', '/b/k?uploads'), pairs(['s3:PutObject', object('k')])],
  ['UploadPart', 's3', s3('PUT', '/b/k?partNumber=2&uploadId=u'), pairs(['s3:PutObject', object('k')])],
  [
    'UploadPartCopy',
    's3',
    s3('PUT', '/b/k?partNumber=1&uploadId=u', { 'x-amz-copy-source': 'src/k' }),
    pairs(['s3:GetObject', 'arn:aws:s3:::src/k'], ['s3:PutObject', object('k')]),
  ],
  ['CompleteMultipartUpload', 's3', s3('POST', '/b/k?uploadId=u'), pairs(['s3:PutObject', object('k')])],
  ['AbortMultipartUpload', 's3', s3('DELETE', '/b/k?uploadId=u'), pairs(['s3:AbortMultipartUpload', object('k')])],
  ['ListParts', 's3', s3('GET', '/b/k?uploadId=u'), pairs(['s3:ListMultipartUploadParts', object('k')])],
  ['DeleteObject', 's3', s3('DELETE', '/b/k'), pairs(['s3:DeleteObject', object('k')])],
  ['DeleteObject of a version', 's3', s3('DELETE', '/b/k?versionId=v1'), pairs(['s3:DeleteObjectVersion', object('k')])],
  [
    'DeleteObjects',
    's3',
    s3('POST', '/b?delete', {}, '<Delete><Object><Key>a&amp;b</Key></Object><Object><Key>c</Key><VersionId>v</VersionId></Object></Delete>'),
    pairs(['s3:DeleteObject', object('a&b')], ['s3:DeleteObjectVersion', object('c')]),
  ],
  ['ListObjectsV2', 's3', s3('GET', '/b/?list-type=2&prefix=in%2F&continuation-token=t'), [{ action: 's3:ListBucket', resource: 'arn:aws:s3:::b', context: { 's3:prefix': 'in/' } }]],
  ['ListObjects', 's3', s3('GET', '/b'), [{ action: 's3:ListBucket', resource: 'arn:aws:s3:::b', context: { 's3:prefix': '' } }]],
  ['HeadBucket', 's3', s3('HEAD', '/b'), pairs(['s3:ListBucket', 'arn:aws:s3:::b'])],
  ['ListObjectVersions', 's3', s3('GET', '/b?versions&prefix=k'), pairs(['s3:ListBucketVersions', 'arn:aws:s3:::b'])],
  ['GetBucketLocation', 's3', s3('GET', '/b?location'), pairs(['s3:GetBucketLocation', 'arn:aws:s3:::b'])],
  ['CreateBucket', 's3', s3('PUT', '/b'), pairs(['s3:CreateBucket', 'arn:aws:s3:::b'])],
  ['PutBucketVersioning', 's3', s3('PUT', '/b?versioning'), pairs(['s3:PutBucketVersioning', 'arn:aws:s3:::b'])],
  ['PutBucketNotificationConfiguration', 's3', s3('PUT', '/b?notification'), pairs(['s3:PutBucketNotification', 'arn:aws:s3:::b'])],
  ['DeleteBucketTagging', 's3', s3('DELETE', '/b?tagging'), pairs(['s3:PutBucketTagging', 'arn:aws:s3:::b'])],
  ['GetObjectTagging of a version', 's3', s3('GET', '/b/k?tagging&versionId=v'), pairs(['s3:GetObjectVersionTagging', object('k')])],
  ['ListBuckets', 's3', s3('GET', '/'), pairs(['s3:ListAllMyBuckets', '*'])],

  ['GetItem', 'dynamodb', json('DynamoDB_20120810.GetItem', { TableName: 'runlog', Key: {} }), pairs(['dynamodb:GetItem', `${table}/runlog`])],
  [
    'UpdateItem naming the table by ARN',
    'dynamodb',
    json('DynamoDB_20120810.UpdateItem', { TableName: `${table}/runlog` }),
    pairs(['dynamodb:UpdateItem', `${table}/runlog`]),
  ],
  [
    'Query on an index',
    'dynamodb',
    json('DynamoDB_20120810.Query', { TableName: 'runlog', IndexName: 'byDataset' }),
    pairs(['dynamodb:Query', `${table}/runlog/index/byDataset`]),
  ],
  ['Scan of the table', 'dynamodb', json('DynamoDB_20120810.Scan', { TableName: 'runlog' }), pairs(['dynamodb:Scan', `${table}/runlog`])],
  [
    'BatchWriteItem: once per table',
    'dynamodb',
    json('DynamoDB_20120810.BatchWriteItem', { RequestItems: { runlog: [{}, {}], other: [{}] } }),
    pairs(['dynamodb:BatchWriteItem', `${table}/runlog`], ['dynamodb:BatchWriteItem', `${table}/other`]),
  ],
  [
    'TransactWriteItems: each item as its own action, once per table',
    'dynamodb',
    json('DynamoDB_20120810.TransactWriteItems', {
      TransactItems: [
        { ConditionCheck: { TableName: 'runlog' } },
        { Put: { TableName: 'runlog' } },
        { Put: { TableName: 'runlog' } },
        { Delete: { TableName: 'other' } },
      ],
    }),
    pairs(['dynamodb:ConditionCheckItem', `${table}/runlog`], ['dynamodb:PutItem', `${table}/runlog`], ['dynamodb:DeleteItem', `${table}/other`]),
  ],
  [
    'TransactGetItems',
    'dynamodb',
    json('DynamoDB_20120810.TransactGetItems', { TransactItems: [{ Get: { TableName: 'runlog' } }] }),
    pairs(['dynamodb:GetItem', `${table}/runlog`]),
  ],
  ['ListTables', 'dynamodb', json('DynamoDB_20120810.ListTables', {}), pairs(['dynamodb:ListTables', '*'])],

  ['StartExecution', 'states', json('AWSStepFunctions.StartExecution', { stateMachineArn: MACHINE_ARN }), pairs(['states:StartExecution', MACHINE_ARN])],
  ['DescribeExecution', 'states', json('AWSStepFunctions.DescribeExecution', { executionArn: EXECUTION_ARN }), pairs(['states:DescribeExecution', EXECUTION_ARN])],
  ['StopExecution', 'states', json('AWSStepFunctions.StopExecution', { executionArn: EXECUTION_ARN }), pairs(['states:StopExecution', EXECUTION_ARN])],
  ['ListExecutions', 'states', json('AWSStepFunctions.ListExecutions', { stateMachineArn: MACHINE_ARN }), pairs(['states:ListExecutions', MACHINE_ARN])],

  [
    'Publish',
    'sns',
    { method: 'POST', url: '/', headers: {}, body: 'Action=Publish&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A000000000000%3Aalerts&Message=hi' },
    pairs(['sns:Publish', 'arn:aws:sns:us-east-1:000000000000:alerts']),
  ],

  ['GetSecretValue by ARN', 'secretsmanager', json('secretsmanager.GetSecretValue', { SecretId: SECRET_ARN }), pairs(['secretsmanager:GetSecretValue', SECRET_ARN])],
  ['GetSecretValue by name', 'secretsmanager', json('secretsmanager.GetSecretValue', { SecretId: 'db' }), pairs(['secretsmanager:GetSecretValue', SECRET_ARN])],

  [
    'DescribeUserPoolClient',
    'cognito-idp',
    json('AWSCognitoIdentityProviderService.DescribeUserPoolClient', { UserPoolId: 'us-east-1_Pool', ClientId: 'c1' }),
    pairs(['cognito-idp:DescribeUserPoolClient', 'arn:aws:cognito-idp:us-east-1:000000000000:userpool/us-east-1_Pool']),
  ],
  [
    'DescribeStacks by name',
    'cloudformation',
    { method: 'POST', url: '/', headers: {}, body: 'Action=DescribeStacks&Version=2010-05-15&StackName=landing-etl-dev' },
    pairs(['cloudformation:DescribeStacks', 'arn:aws:cloudformation:us-east-1:000000000000:stack/landing-etl-dev/*']),
  ],

  ...['StartJobRun', 'GetJobRun', 'GetJobRuns', 'BatchStopJobRun'].map((op): [string, string, AwsRequest, Permission[]] => [
    op,
    'glue',
    json(`AWSGlue.${op}`, { JobName: 'transform', RunId: 'jr_1' }),
    pairs([`glue:${op}`, 'arn:aws:glue:us-east-1:000000000000:job/transform']),
  ]),
];

describe('the permissions an AWS request needs', () => {
  it.each(cases)('%s', (_what, service, request, expected) => {
    expect(permissionsFor(service, request, scope, new Map([['db', SECRET_ARN]]))).toEqual(expected);
  });

  it('names a secret it cannot resolve by its name, without the suffix', () => {
    expect(permissionsFor('secretsmanager', json('secretsmanager.GetSecretValue', { SecretId: 'unknown' }), scope)).toEqual(
      pairs(['secretsmanager:GetSecretValue', 'arn:aws:secretsmanager:us-east-1:000000000000:secret:unknown']),
    );
  });

  it('lets no unknown S3 request pass silently', () => {
    expect(permissionsFor('s3', s3('GET', '/b?website'), scope)).toEqual(pairs(['s3:Unknown:GET?website', 'arn:aws:s3:::b']));
    expect(permissionsFor('s3', s3('PATCH', '/b/k'), scope)).toEqual(pairs(['s3:Unknown:PATCH?', object('k')]));
  });

  it('every action is one IAM knows, on a resource of a type the action takes', async () => {
    const all = cases.flatMap(([, service, request]) => permissionsFor(service, request, scope, new Map([['db', SECRET_ARN]])));
    const problems: string[] = [];
    for (const { action, resource } of all) {
      const result = await runSimulation(
        {
          request: { principal: 'arn:aws:iam::000000000000:role/ExecutorRole', action, resource: { resource, accountId: scope.account }, contextVariables: {} },
          identityPolicies: [{ name: 'all', policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] } }],
          serviceControlPolicies: [],
          resourceControlPolicies: [],
        },
        {},
      );
      if (result.resultType === 'error' || result.overallResult !== 'Allowed') problems.push(`${action} ${resource}: ${JSON.stringify(result)}`);
    }
    expect(problems).toEqual([]);
  });
});

describe('who signed a request, for which service', () => {
  it('reads the credential scope of the Authorization header', () => {
    const authorization = 'AWS4-HMAC-SHA256 Credential=ExecutorRole/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=ab';
    expect(credentialOf({ url: '/', headers: { authorization } })).toEqual({ principal: 'ExecutorRole', service: 'dynamodb' });
  });

  it('reads the X-Amz-Credential parameter of a presigned URL', () => {
    const url = '/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=LoadJobRole%2F20260101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Signature=ab';
    expect(credentialOf({ url, headers: {} })).toEqual({ principal: 'LoadJobRole', service: 's3' });
    expect(permissionsFor('s3', s3('GET', url), scope)).toEqual(pairs(['s3:GetObject', object('k')]));
  });

  it('finds nobody in an unsigned request', () => {
    expect(credentialOf({ url: '/b/k', headers: {} })).toBeUndefined();
  });
});
