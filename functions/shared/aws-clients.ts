import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { documentClient } from './document-client';

// One client per service per process. Endpoints come from the standard AWS_ENDPOINT_URL_<SERVICE> variables,
// which is all the local stack changes.
export const dynamodb = documentClient(new DynamoDBClient({}));
export const sfn = new SFNClient({});
export const sns = new SNSClient({});
// A queue's URL names AWS's host (the template's Ref): the client sends to its own endpoint, not the URL's host.
export const sqs = new SQSClient({ useQueueUrlAsEndpoint: false });
