import { GetQueueAttributesCommand, GetQueueUrlCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { Inject, Injectable } from '@nestjs/common';
import { ingestConfig, type IngestConfig } from '../config';
import { SQS } from '../infra/aws';

export interface QueueRef {
  url: string;
  arn: string;
}

/**
 * URLs and ARNs of the main queue and the DLQ, looked up once and cached. A failed lookup is not
 * cached, so a start while SQS is down heals by itself.
 */
@Injectable()
export class IngestQueues {
  private readonly refs = new Map<string, Promise<QueueRef>>();

  constructor(
    @Inject(SQS) private readonly sqs: SQSClient,
    @Inject(ingestConfig.KEY) private readonly cfg: IngestConfig,
  ) {}

  main(signal?: AbortSignal): Promise<QueueRef> {
    return this.ref(this.cfg.queueName, signal);
  }

  dlq(signal?: AbortSignal): Promise<QueueRef> {
    return this.ref(this.cfg.dlqName, signal);
  }

  /**
   * A lookup in progress is shared, and may have been started by a caller with another (or no)
   * deadline: each caller waits for it only until its own signal fires.
   */
  private ref(name: string, signal?: AbortSignal): Promise<QueueRef> {
    let ref = this.refs.get(name);
    if (!ref) {
      ref = this.lookup(name); // bounded by the client's own request timeout
      this.refs.set(name, ref);
      ref.catch(() => this.refs.delete(name));
    }
    return signal ? untilAborted(ref, signal) : ref;
  }

  private async lookup(name: string): Promise<QueueRef> {
    const { QueueUrl } = await this.sqs.send(new GetQueueUrlCommand({ QueueName: name }));
    const { Attributes } = await this.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
    );
    if (!QueueUrl || !Attributes?.QueueArn) throw new Error(`queue ${name} has no URL or ARN`);
    return { url: QueueUrl, arn: Attributes.QueueArn };
  }
}

/** `p`, or a rejection with the signal's reason as soon as it aborts (p keeps running). */
export function untilAborted<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
