import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { auth, bootApp } from './support/app';
import { startEksFakes, type EksFakes } from './support/fake-kube/eks-env';

describe('eks: namespaces and jobs over IAM auth (fake API server over HTTPS)', () => {
  let fakes: EksFakes;
  let app: NestFastifyApplication;
  beforeAll(async () => {
    fakes = await startEksFakes();
    app = await bootApp(fakes.env);
  });
  afterAll(async () => {
    await app?.close();
    await fakes?.stop();
  });
  const req = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: unknown) =>
    app.inject({ method, url, headers: auth, ...(payload !== undefined ? { payload: payload as object } : {}) });

  it('creates a managed namespace', async () => {
    const res = await req('POST', '/v1/namespaces', { name: 'team-a', labels: { team: 'a' } });
    expect(res.json()).toEqual({});
  });
});
