import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { auth } from './support/app';
import {
  directClients,
  ingestNames,
  startProxiedIngest,
  waitFor,
  type ProxiedIngest,
} from './support/ingest';
import { sleep, startLoad, summary } from './support/load';
import { FAULT_MODES, type TcpProxy } from './support/tcp-proxy';

jest.setTimeout(60_000);

/**
 * Fault under load: batches of 5 messages posted by 8 clients (50 ms apart) while SQS, then
 * DynamoDB, drop out for 3 s each (cut at a proxy; the shared emulators keep running). Nothing
 * waits more than 2 s, every failure is a 503 listing accepted and notAccepted ids, and every
 * accepted id ends up in the table (keyed by id: stored once), none in the dead-letter queue.
 * Run with the dependency refusing connections, hanging (accepts, never answers) and stalling
 * (half an answer, then nothing).
 */
describe.each(FAULT_MODES)(
  'fault under load: ingest while SQS, then DynamoDB, drop out (%s)',
  (mode) => {
    const names = ingestNames(`fault-${mode}`);
    const aws = directClients();
    let sqs: TcpProxy;
    let ddb: TcpProxy;
    let app: NestFastifyApplication;
    let proxied: ProxiedIngest | undefined;
    beforeAll(async () => {
      proxied = await startProxiedIngest({
        ...names,
        INGEST_CONSUMERS: '8',
        INGEST_VISIBILITY_TIMEOUT_SECONDS: '2',
        INGEST_HEARTBEAT_SECONDS: '1',
      });
      ({ sqs, ddb, app } = proxied);
    });
    afterAll(async () => {
      await proxied?.close();
      aws.destroy();
    });

    let batch = 0;
    const post = async () => {
      const b = batch++;
      const messages = Array.from({ length: 5 }, (_, i) => ({
        id: `fault-${b}-${i}`,
        payload: { b, i },
      }));
      const res = await app.inject({
        method: 'POST',
        url: '/v1/ingest/messages',
        headers: auth,
        payload: { messages },
      });
      return { res, sent: messages.map((m) => m.id) };
    };

    it('no request waits over 2 s, failures are 503s with the lists, no accepted message is lost', async () => {
      const load = startLoad(8, post, 25, 50);
      await sleep(1000);
      sqs.cut(mode);
      await sleep(3000);
      sqs.resume();
      await sleep(1000);
      ddb.cut(mode);
      await sleep(3000);
      ddb.resume();
      await sleep(1000);
      const answers = await load.stop();

      const stats = summary(answers);
      expect({ ...stats, slow: answers.filter((a) => a.ms > 2000).length }).toMatchObject({
        slow: 0,
      });
      const failed = answers.filter((a) => a.status !== 202);
      expect(failed.filter((a) => a.status !== 503)).toEqual([]);
      const accepted = new Set<string>();
      for (const a of answers) {
        const body = JSON.parse(a.body);
        if (a.status === 202) {
          for (const id of a.sent as string[]) accepted.add(id);
          continue;
        }
        expect(body).toMatchObject({
          statusCode: 503,
          message: expect.stringMatching(/SQS/),
          requestId: expect.any(String),
        });
        // The two lists split the batch exactly; the accepted part must be stored like any 202.
        expect([...body.accepted, ...body.notAccepted].sort()).toEqual(
          [...(a.sent as string[])].sort(),
        );
        for (const id of body.accepted) accepted.add(id);
      }
      expect(answers.filter((a) => a.status === 202).length).toBeGreaterThan(20);
      expect(failed.length).toBeGreaterThan(0);
      expect(answers.at(-1)?.status).toBe(202);

      const sent = new Set(answers.flatMap((a) => a.sent as string[]));
      const stored = (await waitFor(
        'every accepted message stored',
        async () => {
          const ids = (await aws.scan(names.INGEST_TABLE_NAME)).map((i) => i.id as string);
          return [...accepted].every((id) => ids.includes(id)) && ids;
        },
        20_000,
        250,
      ).catch(async () =>
        (await aws.scan(names.INGEST_TABLE_NAME)).map((i) => i.id as string),
      )) as string[];
      expect({
        lost: [...accepted].filter((id) => !stored.includes(id)),
        accepted: accepted.size,
        stats,
      }).toMatchObject({ lost: [] });
      expect(stored.filter((id) => !sent.has(id))).toEqual([]);
      expect(new Set(stored).size).toBe(stored.length);
      const dlq = await app.inject({
        method: 'GET',
        url: '/v1/ingest/dead-letters',
        headers: auth,
      });
      expect({ dlq: dlq.json().count, stats }).toEqual({ dlq: 0, stats });
    });
  },
);
