import { Deployment, LOCAL_STAGE } from '../local/deployment';
import { startHttpApi } from '../local/http-api';
import { LocalLambdas } from '../local/lambdas';
import { localDir } from '../local/layout';
import { packagedStage } from '../local/packaged';

/** The endpoint under test: the local API Gateway adapter (payload 2.0 events) in front of the packaged query
 *  function, run as the local stack runs it, with the template's environment and the bench's database
 *  (DATABASE_URL and DB_POOL_MAX from this process's environment override the template's secret and pool). */
const deployment = Deployment.load(await packagedStage(LOCAL_STAGE, () => {}));
const query = deployment.functions().find((f) => f.logicalId === 'QueryLambdaFunction')!;
const lambdas = new LocalLambdas([query], `${localDir}/bench-lambda`, () => ({
  DATABASE_URL: process.env.DATABASE_URL!,
  DB_POOL_MAX: process.env.DB_POOL_MAX ?? query.environment.DB_POOL_MAX!,
  POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN',
}), console.error);
await lambdas.start();
const api = await startHttpApi([{ routeKey: 'GET /get', handler: lambdas.handler(query.logicalId) }], 0, () => true);
console.log(`listening ${api.url}`);
process.once('SIGTERM', () => void Promise.all([api.stop(), lambdas.stop()]).then(() => process.exit(0)));
