import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { bootApp } from './support/app';
import { FAST_CONSUMER, ingestNames } from './support/ingest';
jest.setTimeout(30000);
describe('x', () => {
  let app: NestFastifyApplication;
  beforeAll(async () => {
    app = await bootApp({ ...FAST_CONSUMER, APP_ROLE: process.env.DBG_ROLE, INGEST_ENABLED: 'false' });
  });
  afterAll(async () => {
    await app.close();
    setTimeout(() => console.log('after close', JSON.stringify(process.getActiveResourcesInfo())), 1000).unref();
  });
  it('ok', () => expect(1).toBe(1));
});
