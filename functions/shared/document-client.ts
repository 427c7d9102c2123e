import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** The document client every run-log user wraps its DynamoDB client in. Its own module, free of clients made at
 *  import time, so the local stack and the CLI can use it before the Lambda environment is set. */
export function documentClient(client: DynamoDBClient) {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}
