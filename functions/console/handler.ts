import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { resolve } from 'node:path';
import * as z from 'zod/mini';
import { readConfig } from '../shared/config';
import { loadContracts } from '../shared/contracts';
import { loadAssets } from './assets';

const config = readConfig({
  // What the page's retry command adds to `landing-etl retry ID` to reach this stage (`--stage dev --region …`);
  // unset on the local stack, which the CLI reaches by default.
  CLI_TARGET: z.optional(z.string()),
});
// The package root is the working directory on Lambda (/var/task) and in the local stack's runtime.
// The datasets are those the function's package has contracts for, as every function of the deployment: the page's
// filter needs no request (GET /datasets reads a month of runs).
const assets = loadAssets(resolve('.build', 'console'), { cliTarget: config.CLI_TARGET ?? '', datasets: [...loadContracts().keys()] });

// The page loads only its own script and styles and calls only this API.
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/** GET / → the operator page; GET /assets/{file} → its script and styles (content-hashed names, cached for good). */
export async function handler(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  const name = event.routeKey === 'GET /' ? 'index.html' : (event.pathParameters?.file ?? '');
  const asset = name === 'index.html' && event.routeKey !== 'GET /' ? undefined : assets.get(name);
  if (!asset) {
    return { statusCode: 404, headers: { 'content-type': 'text/plain; charset=utf-8', ...SECURITY_HEADERS }, body: `no such file: ${name}` };
  }
  return {
    statusCode: 200,
    headers: {
      'content-type': asset.contentType,
      'cache-control': name === 'index.html' ? 'no-cache' : 'public, max-age=31536000, immutable',
      ...SECURITY_HEADERS,
    },
    body: asset.body.toString('base64'),
    isBase64Encoded: true,
  };
}
