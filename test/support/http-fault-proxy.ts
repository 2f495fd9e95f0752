import { createServer, request, type IncomingMessage, type Server } from 'node:http';

export interface HttpFaultProxy {
  url: string;
  /** Requests answered with the injected failure. */
  readonly injected: number;
  close(): Promise<void>;
}

/**
 * An HTTP proxy in front of an AWS emulator that answers `failure` instead of forwarding a
 * request whose body `matches`: a dependency that refuses one item for good with an answer that
 * looks transient (a 5xx), which a TCP proxy cannot produce.
 */
export async function startHttpFaultProxy(
  targetUrl: string,
  matches: (body: string, req: IncomingMessage) => boolean,
  failure: { status: number; headers?: Record<string, string>; body: string },
): Promise<HttpFaultProxy> {
  const target = new URL(targetUrl);
  let injected = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (matches(body.toString('utf8'), req)) {
        injected++;
        res.writeHead(failure.status, {
          'content-type': 'application/x-amz-json-1.0',
          ...failure.headers,
        });
        return void res.end(failure.body);
      }
      const up = request(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers: req.headers,
        },
        (upRes) => {
          res.writeHead(upRes.statusCode ?? 502, upRes.headers);
          upRes.pipe(res);
        },
      );
      up.on('error', () => res.destroy());
      up.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    get injected() {
      return injected;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
