import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { loadavg } from 'node:os';
import { documentClient } from '../functions/shared/document-client';
import { localAws } from '../local/layout';
import { launchChromium } from '../test/support/browser';
import { startLocalStack } from '../test/support/local-stack';
import { pageUrl } from '../test/support/api';
import { recordRun, sampleLoadAverage } from './record';

/** npm run bench:console — how long the operator page's views take to open over a run log of BENCH_INGESTIONS
 *  (10,000) ingestions of one dataset, in the local stack, in Debian's Chromium. Seeds the run log with summaries
 *  and three stage items each (received over the last BENCH_DAYS days, every status), then opens each view
 *  BENCH_RUNS times in a fresh page and measures from navigation start to the view rendered: the page's own
 *  `view-ready` performance mark, set as it marks `main[data-ready]`, so the harness's polling is not counted.
 *  Prints the median and worst and records them in bench/results/console.jsonl. */

const INGESTIONS = Number(process.env.BENCH_INGESTIONS ?? 10_000);
const DAYS = Number(process.env.BENCH_DAYS ?? 365);
const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const DATASET = 'dailycheckin';
const log = (line: string) => console.log(`[bench] ${line}`);

const STATUSES = ['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED', 'FAILED', 'REJECTED', 'SUCCEEDED'] as const;

function items(i: number, now: number) {
  const received = new Date(now - Math.floor((i / INGESTIONS) * DAYS * 86_400_000)).toISOString();
  const id = `${DATASET}-bench-${String(i).padStart(6, '0')}`;
  const status = STATUSES[i % STATUSES.length]!;
  const source = `s3://landing/${DATASET}/${received.slice(0, 10)}/file-${i}.csv`;
  const ended = new Date(Date.parse(received) + 70_000).toISOString();
  const summary = {
    pk: `ING#${id}`, sk: 'SUMMARY', ingestionId: id, ingestedID: id, dataset: DATASET, businessDate: received.slice(0, 10),
    sourceUri: source, status, state: status === 'SUCCEEDED' ? 'DONE' : status === 'FAILED' ? 'TEST' : 'REJECTED',
    ...(status === 'FAILED' ? { stage: 'test', error: 'Glue job run FAILED', cause: 'QualityGateFailed: 90 of 1000 rows rejected (9.0%), above max_reject_ratio 5.0%' } : {}),
    attempt: 1, receivedAt: received, updatedAt: ended, startedAt: received, endedAt: ended,
    rowsIn: 1000, accepted: 990, rejected: 10, duplicateRows: 0, rowsLoaded: status === 'SUCCEEDED' ? 990 : 0, dpuSeconds: 140, costUsd: 0.044,
    datasetKey: DATASET, recentKey: `${received}#${id}`, objectKey: source,
  };
  const stages = ['transform', 'test', 'load'].map((stage) => ({
    pk: `ING#${id}`, sk: `STAGE#${stage}`, stage, status: 'SUCCEEDED', attempt: 1, startedAt: received, endedAt: ended,
    glueRunId: `jr_${i}_${stage}`, jobSeconds: 20, dpuSeconds: 40, costUsd: 0.0147, metrics: { rowsIn: 1000, rowsOut: 990, rejected: 10 },
  }));
  return status === 'REJECTED' ? [summary] : [summary, ...stages];
}

async function seed(endpoint: string, table: string) {
  const doc = documentClient(new DynamoDBClient({ endpoint, ...localAws }));
  const now = Date.now();
  const all = Array.from({ length: INGESTIONS }, (_, i) => items(i, now)).flat();
  const batches = [];
  for (let i = 0; i < all.length; i += 25) batches.push(all.slice(i, i + 25));
  for (let i = 0; i < batches.length; i += 8) {
    await Promise.all(
      batches.slice(i, i + 8).map(async (batch) => {
        let unprocessed: Record<string, unknown>[] | undefined = batch.map((Item) => ({ PutRequest: { Item } }));
        while (unprocessed?.length) {
          const res = await doc.send(new BatchWriteCommand({ RequestItems: { [table]: unprocessed as never } }));
          unprocessed = res.UnprocessedItems?.[table] as Record<string, unknown>[] | undefined;
        }
      }),
    );
  }
  return all.length;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main() {
  log(`starting the local stack`);
  const stack = await startLocalStack({ waitForSample: false, timeoutMs: 400_000 });
  const load = sampleLoadAverage();
  const browser = await launchChromium();
  try {
    const started = Date.now();
    const written = await seed(stack.info.dynamodbEndpoint, stack.info.runLogTable);
    log(`seeded ${INGESTIONS} ingestions (${written} items) over ${DAYS} days in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const views = {
      ingestions: `#/ingestions?dataset=${DATASET}`,
      'ingestions, FAILED only': `#/ingestions?dataset=${DATASET}&status=FAILED`,
      ingestion: `#/ingestion/${DATASET}-bench-000007`,
      datasets: '#/datasets',
    };
    const results: Record<string, { medianMs: number; maxMs: number; medianApiMs: number; medianPageFilesMs: number }> = {};
    for (const [name, hash] of Object.entries(views)) {
      const times: number[] = [];
      const apiTimes: number[] = [];
      const fileTimes: number[] = [];
      for (let r = 0; r < RUNS; r++) {
        const page = await browser.newPage();
        await page.goto(await pageUrl(stack.info, hash));
        await page.waitForSelector('main[data-ready]', { timeout: 60_000 });
        // From the start of the navigation (the request for the page) to the view rendered; and of that, the API's
        // requests (the longest) and the page's own files (until the last of them has arrived).
        const [total, api, files] = (await page.evaluate(`(() => {
          const res = performance.getEntriesByType('resource');
          const api = res.filter((e) => !e.name.includes('/assets/')).map((e) => e.duration);
          const assets = res.filter((e) => e.name.includes('/assets/')).map((e) => e.responseEnd);
          return [performance.getEntriesByName('view-ready')[0].startTime, Math.max(0, ...api), Math.max(0, ...assets)];
        })()`)) as number[];
        times.push(total!);
        apiTimes.push(api!);
        fileTimes.push(files!);
        if (r === 0 && name.startsWith('ingestions')) log(`${name}: ${await page.locator('tbody tr').count()} rows on the first page`);
        await page.close();
      }
      results[name] = {
        medianMs: Math.round(median(times)),
        maxMs: Math.round(Math.max(...times)),
        medianApiMs: Math.round(median(apiTimes)),
        medianPageFilesMs: Math.round(median(fileTimes)),
      };
      const r = results[name];
      log(`${name}: median ${r.medianMs} ms (API ${r.medianApiMs} ms, page files ${r.medianPageFilesMs} ms), worst ${r.maxMs} ms over ${RUNS} loads; load average ${loadavg()[0]!.toFixed(1)}`);
    }
    recordRun('console', { conditions: { ingestions: INGESTIONS, items: written, days: DAYS, runs: RUNS }, figures: { views: results }, loadAverage: load.stop() });
  } finally {
    await browser.close();
    await stack.stop();
  }
}

main().catch((e: Error) => {
  console.error(e);
  process.exit(1);
});
