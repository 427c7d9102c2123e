import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { documentClient } from './document-client';

// One client per service per process. Endpoints come from the standard AWS_ENDPOINT_URL_<SERVICE> variables,
// which is all the local stack changes.
export const dynamodb = documentClient(new DynamoDBClient({}));
export const sfn = new SFNClient({});
export const sns = new SNSClient({});
