import { createServer, type Server } from 'node:http';

/** Just enough of the Kubernetes API for list calls: empty lists, a version, Status 404 otherwise. */
export async function listOnlyKubernetes(): Promise<Server> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (url.pathname === '/version')
      return send(200, { major: '1', minor: '33', gitVersion: 'v1.33.0' });
    if (req.method === 'GET' && url.pathname === '/api/v1/namespaces') {
      return send(200, {
        kind: 'NamespaceList',
        apiVersion: 'v1',
        metadata: { resourceVersion: '1' },
        items: [],
      });
    }
    if (req.method === 'GET' && /^\/apis\/batch\/v1\/namespaces\/[^/]+\/jobs$/.test(url.pathname)) {
      return send(200, {
        kind: 'JobList',
        apiVersion: 'batch/v1',
        metadata: { resourceVersion: '1' },
        items: [],
      });
    }
    send(404, {
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      reason: 'NotFound',
      code: 404,
      message: 'not found',
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return server;
}

export function kubeconfigFor(server: string): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'fake', cluster: { server, 'insecure-skip-tls-verify': true } }],
    users: [{ name: 'fake', user: { token: 'fake-token' } }],
    contexts: [{ name: 'fake', context: { cluster: 'fake', user: 'fake' } }],
    'current-context': 'fake',
  });
}
