import { at, list, loadTemplate, record, resource, resourcesOfType, STAGES, type Template } from './template';

/** The routes of the page shell, public on purpose (serverless.yml, functions.console; docs/security.md): a browser
 *  navigation cannot carry an Authorization header. Every other route needs a token with its scope. */
const PUBLIC = ['GET /', 'GET /assets/{file}'];
const SCOPE_OF: Record<string, 'rows' | 'operations'> = {
  'GET /get': 'rows',
  'GET /ingestions': 'operations',
  'GET /ingestions/{id}': 'operations',
  'GET /ingestions/{id}/report': 'operations',
  'GET /datasets': 'operations',
};

/** Every route of the template: its key, the function its integration invokes, and how it is authorized. */
function routes(t: Template) {
  const integrations = new Map(
    resourcesOfType(t, 'AWS::ApiGatewayV2::Integration').map(([id, r]) => [id, String(at(r.Properties.IntegrationUri, 'Fn::GetAtt.0'))]),
  );
  return resourcesOfType(t, 'AWS::ApiGatewayV2::Route').map(([, r]) => {
    const p = r.Properties;
    const integration = String(at(p.Target, 'Fn::Join.1.1.Ref'));
    return {
      key: String(p.RouteKey),
      fn: integrations.get(integration),
      type: p.AuthorizationType as string | undefined,
      authorizer: p.AuthorizerId,
      scopes: p.AuthorizationScopes as string[] | undefined,
    };
  });
}

describe.each(STAGES)('the %s stack, packaged with no authentication parameter', (stage) => {
  const t = loadTemplate(stage);

  test('requires a JWT with the rows scope on GET /get and the operations scope on every run-log route', () => {
    const data = routes(t).filter((r) => !PUBLIC.includes(r.key));
    expect(data.map((r) => r.key).sort()).toEqual(Object.keys(SCOPE_OF).sort());
    for (const r of data) {
      expect(r).toEqual({ ...r, type: 'JWT', authorizer: { Ref: 'HttpApiAuthorizerJwt' }, scopes: [`landing-etl/${SCOPE_OF[r.key]}`] });
    }
  });

  test('leaves only the page shell public, served by the console function, which reads no data', () => {
    const open = routes(t).filter((r) => r.type === undefined);
    expect(open.map((r) => [r.key, r.fn]).sort()).toEqual(PUBLIC.map((k) => [k, 'ConsoleLambdaFunction']));
    const consoleRole = String(at(resource(t, 'ConsoleLambdaFunction', 'AWS::Lambda::Function').Properties.Role, 'Fn::GetAtt.0'));
    const granted = list(at(resource(t, consoleRole, 'AWS::IAM::Role').Properties.Policies, '0.PolicyDocument.Statement')).flatMap((s) =>
      [at(s, 'Action')].flat().map(String),
    );
    expect(granted.filter((a) => !/^(logs:CreateLogStream|logs:PutLogEvents|xray:Put\w+|kms:Decrypt)$/.test(a))).toEqual([]);
  });

  test('trusts only tokens of its own Cognito user pool, for its two app clients', () => {
    const jwt = resource(t, 'HttpApiAuthorizerJwt', 'AWS::ApiGatewayV2::Authorizer').Properties;
    expect(jwt).toMatchObject({ AuthorizerType: 'JWT', IdentitySource: ['$request.header.Authorization'] });
    expect(at(jwt, 'JwtConfiguration')).toEqual({
      Issuer: { 'Fn::Sub': 'https://cognito-idp.${AWS::Region}.amazonaws.com/${ApiUserPool}' },
      Audience: [{ Ref: 'ApiRowsClient' }, { Ref: 'ApiOperationsClient' }],
    });
  });

  test('defines the two scopes on the pool and one client-credentials app client per scope, each allowed only its own', () => {
    const server = resource(t, 'ApiResourceServer', 'AWS::Cognito::UserPoolResourceServer').Properties;
    expect(server).toMatchObject({ UserPoolId: { Ref: 'ApiUserPool' }, Identifier: 'landing-etl' });
    expect(list(server.Scopes).map((s) => at(s, 'ScopeName'))).toEqual(['rows', 'operations']);
    for (const [id, scope] of [['ApiRowsClient', 'rows'], ['ApiOperationsClient', 'operations']] as const) {
      const client = resource(t, id, 'AWS::Cognito::UserPoolClient');
      expect(client.DependsOn).toEqual(['ApiResourceServer']);
      expect(client.Properties).toMatchObject({
        UserPoolId: { Ref: 'ApiUserPool' },
        GenerateSecret: true,
        AllowedOAuthFlowsUserPoolClient: true,
        AllowedOAuthFlows: ['client_credentials'],
        AllowedOAuthScopes: [`landing-etl/${scope}`],
      });
    }
    const domain = resource(t, 'ApiUserPoolDomain', 'AWS::Cognito::UserPoolDomain').Properties;
    expect(domain).toEqual({ UserPoolId: { Ref: 'ApiUserPool' }, Domain: { 'Fn::Sub': `landing-etl-${stage}-\${AWS::AccountId}` } });
  });

  test('publishes what a caller needs to get a token: the token endpoint, the client ids and the scopes', () => {
    expect(record(t.Outputs)).toMatchObject({
      ApiTokenEndpoint: { Value: { 'Fn::Sub': 'https://${ApiUserPoolDomain}.auth.${AWS::Region}.amazoncognito.com/oauth2/token' } },
      ApiUserPoolId: { Value: { Ref: 'ApiUserPool' } },
      ApiRowsClientId: { Value: { Ref: 'ApiRowsClient' } },
      ApiOperationsClientId: { Value: { Ref: 'ApiOperationsClient' } },
      ApiRowsScope: { Value: 'landing-etl/rows' },
      ApiOperationsScope: { Value: 'landing-etl/operations' },
    });
  });
});
