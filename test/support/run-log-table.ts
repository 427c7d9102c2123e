import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DatasetLog } from '../../functions/shared/dataset-log';
import { documentClient } from '../../functions/shared/document-client';
import { startDynamo } from '../../local/dynamodb';
import { localAws } from '../../local/layout';
import { localDeployment } from './orchestration';

/** The packaged template's run log table on a real DynamoDB API (dynalite), with a document client and its
 *  per-dataset view; `stop` ends both. */
export async function startRunLogTable() {
  const deployment = await localDeployment();
  const table = deployment.names.runLogTable;
  const dynamo = await startDynamo(null, deployment.tables());
  const client = new DynamoDBClient({ endpoint: dynamo.endpoint, ...localAws });
  const doc = documentClient(client);
  return {
    endpoint: dynamo.endpoint,
    table,
    doc,
    log: new DatasetLog(doc, table),
    async stop() {
      client.destroy();
      await dynamo.stop();
    },
  };
}
