import { statements, type Template } from './template';

/** A template with one role whose policy is `document`. */
const withPolicy = (document: unknown): Template => ({
  Resources: {
    Role: { Type: 'AWS::IAM::Role', Properties: { Policies: [{ PolicyName: 'p', PolicyDocument: document }] } },
    Topic: { Type: 'AWS::SNS::TopicPolicy', Properties: { PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 'sns:Publish', Resource: '*' }] } } },
  },
  Outputs: {},
  Parameters: {},
  Conditions: {},
});

const wildcard = { Effect: 'Allow', Action: 's3:*', Resource: 'arn:aws:s3:::b/*' };

test('reads a policy whose Statement is one statement, as IAM allows, so a wildcard in it is seen', () => {
  const found = statements(withPolicy({ Version: '2012-10-17', Statement: wildcard }));
  expect(found).toContainEqual({ Effect: 'Allow', Action: ['s3:*'], Resource: ['arn:aws:s3:::b/*'], where: 'Role/p statement 0' });
  expect(found).toHaveLength(2);
});

test('reads both branches of a conditional statement, and none of AWS::NoValue', () => {
  const found = statements(withPolicy({ Statement: [{ 'Fn::If': ['IsProd', wildcard, { Ref: 'AWS::NoValue' }] }] }));
  expect(found.filter((s) => s.where.startsWith('Role')).map((s) => s.Action)).toEqual([['s3:*']]);
});

test('refuses a policy document it cannot read rather than skip it', () => {
  expect(() => statements(withPolicy({ Statement: 'Allow everything' }))).toThrow(/Role\/p: a policy document without a Statement/);
  expect(() => statements(withPolicy({ Version: '2012-10-17' }))).toThrow(/Role\/p/);
});
