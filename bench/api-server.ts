import { startHttpApi } from '../local/http-api';

/** The endpoint under test: the local API Gateway adapter (payload 2.0 events) in front of the real query handler,
 *  configured from the environment exactly as in the local stack. */
const { handler } = await import('../functions/query/handler');
const api = await startHttpApi([{ routeKey: 'GET /get', handler }], 0, () => true);
console.log(`listening ${api.url}`);
process.once('SIGTERM', () => void api.stop().then(() => process.exit(0)));
