import { CreateQueueCommand, DeleteMessageBatchCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { QueueMapping } from './deployment';

/** SQS on this machine: the template's queues on the local AWS-API server (moto), S3's notifications sent to them,
 *  and Lambda's event source mappings reading them. */

/** Creates the template's queues, dead-letter queues first (a redrive policy names its target). */
export async function createQueues(endpoint: string, region: string, queues: Array<{ name: string; attributes: Record<string, string> }>): Promise<void> {
  const sqs = serviceClient(endpoint, region);
  const ordered = [...queues].sort((a, b) => Number('RedrivePolicy' in a.attributes) - Number('RedrivePolicy' in b.attributes));
  for (const q of ordered) await sqs.send(new CreateQueueCommand({ QueueName: q.name, Attributes: q.attributes }));
  sqs.destroy();
}

/** What S3 does for a queue notification: one message per event, with S3's own credentials (not a role of the
 *  stack: S3 sends under the queue's resource policy). */
export function notifier(endpoint: string, region: string) {
  const sqs = serviceClient(endpoint, region);
  return {
    send: async (queueUrl: string, notification: unknown) => void (await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(notification) }))),
    stop: () => sqs.destroy(),
  };
}

const serviceClient = (endpoint: string, region: string) =>
  new SQSClient({ endpoint, region, credentials: { accessKeyId: 'AwsService', secretAccessKey: 'local' }, maxAttempts: 1 });

/** An event source mapping: `maximumConcurrency` pollers each receive up to `batchSize` messages (long polling), invoke
 *  the function with Lambda's SQS event and delete what it handled; a message it reports as failed (or every message
 *  of a batch whose invocation failed) stays, to come again after its visibility timeout, and goes to the queue's
 *  dead-letter queue after its maxReceiveCount (Lambda developer guide, "Using Lambda with Amazon SQS"). The pollers
 *  call SQS with the function's role, through `sqs`. */
export class QueueReader {
  private stopping = false;
  private readonly loops: Promise<void>[] = [];

  constructor(
    private readonly mapping: QueueMapping,
    private readonly sqs: SQSClient,
    private readonly handler: (event: unknown) => Promise<unknown>,
    private readonly queueArn: string,
    private readonly log: (line: string) => void,
  ) {}

  start(): void {
    for (let i = 0; i < this.mapping.maximumConcurrency; i++) this.loops.push(this.poll());
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.loops);
  }

  private async poll(): Promise<void> {
    while (!this.stopping) {
      try {
        const { Messages = [] } = await this.sqs.send(
          new ReceiveMessageCommand({ QueueUrl: this.mapping.queueUrl, MaxNumberOfMessages: this.mapping.batchSize, WaitTimeSeconds: 1, MessageSystemAttributeNames: ['All'] }),
        );
        if (Messages.length > 0) await this.deliver(Messages);
      } catch (e) {
        if (!this.stopping) this.log(`sqs: ${this.mapping.logicalId} could not read its queue: ${(e as Error).message}`);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  private async deliver(messages: Array<{ MessageId?: string; ReceiptHandle?: string; Body?: string; Attributes?: Record<string, string> }>) {
    const event = {
      Records: messages.map((m) => ({
        messageId: m.MessageId,
        receiptHandle: m.ReceiptHandle,
        body: m.Body,
        attributes: m.Attributes ?? {},
        messageAttributes: {},
        eventSource: 'aws:sqs',
        eventSourceARN: this.queueArn,
        awsRegion: this.queueArn.split(':')[3],
      })),
    };
    let failed: Set<string>;
    try {
      const reply = (await this.handler(event)) as { batchItemFailures?: Array<{ itemIdentifier: string }> } | undefined;
      failed = new Set(this.mapping.reportsItemFailures ? (reply?.batchItemFailures ?? []).map((f) => f.itemIdentifier) : []);
    } catch (e) {
      this.log(`sqs: ${this.mapping.functionLogicalId} failed on a batch of ${messages.length}: ${(e as Error).message}; they come again`);
      return;
    }
    const done = messages.filter((m) => !failed.has(m.MessageId!));
    if (done.length === 0) return;
    await this.sqs.send(
      new DeleteMessageBatchCommand({ QueueUrl: this.mapping.queueUrl, Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })) }),
    );
  }
}
