import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  BatchWriteCommand,
  GetCommand,
  PutCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { Inject, Injectable } from '@nestjs/common';
import { ingestConfig, type IngestConfig } from '../config';
import { DYNAMODB_DOC } from '../infra/aws';
import { isTransient } from './aws-errors';
import type { Envelope } from './envelope';
import { setTimeout as pause } from 'node:timers/promises';

/** One stored message: the table's item. */
export interface StoredMessage {
  id: string;
  payload: Record<string, unknown>;
  source?: string;
  acceptedAt: string;
  storedAt: string;
  receiveCount: number;
}

export interface StoreInput {
  envelope: Envelope;
  receiveCount: number;
}

/** Per id: written now, already there (same or newer acceptance), or refused by DynamoDB for good. */
export interface StoreResult {
  stored: string[];
  duplicate: string[];
  failed: string[];
}

/** DynamoDB left items unprocessed after every retry: a throttled or failing table, try later. */
export class StorageBusyError extends Error {
  override readonly name = 'StorageBusyError';
}

const GET_MAX = 100;
const WRITE_MAX = 25;

/**
 * The ingest table, keyed by `id`. Storing is an idempotent upsert: the envelope with the newest
 * `acceptedAt` wins, so a redelivered message or a resent id never makes a second item, and an
 * older acceptance arriving late does not overwrite a newer one.
 */
@Injectable()
export class IngestRepository {
  constructor(
    @Inject(DYNAMODB_DOC) private readonly doc: DynamoDBDocumentClient,
    @Inject(ingestConfig.KEY) private readonly cfg: IngestConfig,
  ) {}

  async get(id: string, signal?: AbortSignal): Promise<StoredMessage | undefined> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.cfg.tableName, Key: { id }, ConsistentRead: true }),
      {
        abortSignal: signal,
      },
    );
    return out.Item as StoredMessage | undefined;
  }

  /** Throws on a transient failure (nothing is reported stored then); the caller retries. */
  async store(inputs: StoreInput[]): Promise<StoreResult> {
    const newest = new Map<string, StoreInput>();
    for (const input of inputs) {
      const seen = newest.get(input.envelope.id);
      if (!seen || seen.envelope.acceptedAt < input.envelope.acceptedAt)
        newest.set(input.envelope.id, input);
    }
    const existing = await this.acceptedAtOf([...newest.keys()]);
    const result: StoreResult = { stored: [], duplicate: [], failed: [] };
    const toWrite: StoreInput[] = [];
    for (const [id, input] of newest) {
      const had = existing.get(id);
      if (had !== undefined && had >= input.envelope.acceptedAt) result.duplicate.push(id);
      else toWrite.push(input);
    }
    const storedAt = new Date().toISOString();
    const items = toWrite.map(({ envelope: e, receiveCount }) => ({
      id: e.id,
      payload: e.payload,
      source: e.source,
      acceptedAt: e.acceptedAt,
      storedAt,
      receiveCount,
    }));
    // In parallel: a write that fails transiently fails the whole store (retried by the caller),
    // and rewriting what the others stored meanwhile is a harmless upsert.
    const parts: Array<Promise<{ stored: string[]; failed: string[] }>> = [];
    for (let i = 0; i < items.length; i += WRITE_MAX)
      parts.push(this.writeBatch(items.slice(i, i + WRITE_MAX)));
    for (const part of await Promise.all(parts)) {
      result.stored.push(...part.stored);
      result.failed.push(...part.failed);
    }
    return result;
  }

  /** The stored acceptedAt of each id that exists: BatchGetItem calls of GET_MAX keys, in parallel. */
  private async acceptedAtOf(ids: string[]): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    const parts: Array<Promise<void>> = [];
    for (let i = 0; i < ids.length; i += GET_MAX)
      parts.push(this.readAcceptedAt(ids.slice(i, i + GET_MAX), found));
    await Promise.all(parts);
    return found;
  }

  private async readAcceptedAt(ids: string[], found: Map<string, string>): Promise<void> {
    let keys: Array<Record<string, unknown>> | undefined = ids.map((id) => ({ id }));
    for (let attempt = 0; keys?.length; attempt++) {
      if (attempt >= this.cfg.writeAttempts)
        throw new StorageBusyError('BatchGetItem left keys unprocessed');
      if (attempt > 0) await pause(50 * 2 ** attempt);
      const out: BatchGetCommandOutput = await this.doc.send(
        new BatchGetCommand({
          RequestItems: {
            [this.cfg.tableName]: {
              Keys: keys,
              ConsistentRead: true,
              ProjectionExpression: '#id, acceptedAt',
              ExpressionAttributeNames: { '#id': 'id' },
            },
          },
        }),
      );
      for (const item of out.Responses?.[this.cfg.tableName] ?? [])
        found.set(item.id as string, item.acceptedAt as string);
      keys = out.UnprocessedKeys?.[this.cfg.tableName]?.Keys;
    }
  }

  /** BatchWriteItem with retry of UnprocessedItems; a batch DynamoDB refuses is retried item by item. */
  private async writeBatch(
    items: StoredMessage[],
  ): Promise<{ stored: string[]; failed: string[] }> {
    let pending = items;
    try {
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt >= this.cfg.writeAttempts)
          throw new StorageBusyError('BatchWriteItem left items unprocessed');
        if (attempt > 0) await pause(50 * 2 ** attempt);
        const out = await this.doc.send(
          new BatchWriteCommand({
            RequestItems: {
              [this.cfg.tableName]: pending.map((Item) => ({ PutRequest: { Item } })),
            },
          }),
        );
        const left = new Set(
          (out.UnprocessedItems?.[this.cfg.tableName] ?? []).map(
            (r) => r.PutRequest?.Item?.id as string,
          ),
        );
        pending = pending.filter((i) => left.has(i.id));
      }
      return { stored: items.map((i) => i.id), failed: [] };
    } catch (err) {
      if (err instanceof StorageBusyError || isTransient(err)) throw err;
      const done = items.filter((i) => !pending.includes(i)).map((i) => i.id);
      const rest = await this.writeOneByOne(pending);
      return { stored: [...done, ...rest.stored], failed: rest.failed };
    }
  }

  /** Isolates the items DynamoDB refuses (too large, too deep, bad number) from the good ones. */
  private async writeOneByOne(
    items: StoredMessage[],
  ): Promise<{ stored: string[]; failed: string[] }> {
    const res = { stored: [] as string[], failed: [] as string[] };
    for (const Item of items) {
      try {
        await this.doc.send(new PutCommand({ TableName: this.cfg.tableName, Item }));
        res.stored.push(Item.id);
      } catch (err) {
        if (isTransient(err)) throw err;
        res.failed.push(Item.id);
      }
    }
    return res;
  }
}
