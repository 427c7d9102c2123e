import { httpRoutes } from '../local/api-routes';
import { clientCredentialsToken } from '../local/client';
import { Deployment, LOCAL_STAGE } from '../local/deployment';
import { startHttpApi } from '../local/http-api';
import { apiClients, startIssuer } from '../local/issuer';
import { LocalLambdas } from '../local/lambdas';
import { localDir } from '../local/layout';
import { packagedStage } from '../local/packaged';

/** The endpoint under test: the local API Gateway adapter (payload 2.0 events, the template's JWT authorizer with a
 *  local issuer) in front of the packaged query function, run as the local stack runs it, with the template's
 *  environment and the bench's database (DATABASE_URL and DB_POOL_MAX from this process's environment override the
 *  template's secret and pool). Prints a rows token for the bench, then the URL. */
const deployment = Deployment.load(await packagedStage(LOCAL_STAGE, () => {}));
const query = deployment.functions().find((f) => f.logicalId === 'QueryLambdaFunction')!;
const lambdas = new LocalLambdas([query], `${localDir}/bench-lambda`, () => ({
  DATABASE_URL: process.env.DATABASE_URL!,
  DB_POOL_MAX: process.env.DB_POOL_MAX ?? query.environment.DB_POOL_MAX!,
  POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN',
}), console.error);
await lambdas.start();
const issuer = await startIssuer(deployment, `${localDir}/bench-issuer`);
const routes = httpRoutes(deployment.routes().filter((r) => r.routeKey === 'GET /get'), issuer, (fn) => lambdas.handler(fn));
const api = await startHttpApi(routes, 0, () => true);
if (issuer) {
  const { tokenEndpoint, clients } = apiClients(issuer);
  console.log(`token ${await clientCredentialsToken(tokenEndpoint, clients.rows)}`);
}
console.log(`listening ${api.url}`);
process.once('SIGTERM', () => void Promise.all([api.stop(), lambdas.stop(), issuer?.stop()]).then(() => process.exit(0)));
