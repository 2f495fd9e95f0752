import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One span as the app exported it, attributes flattened to plain values. */
export interface CollectedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
  links: Array<{ traceId: string; spanId: string; attributes: Record<string, unknown> }>;
  resource: Record<string, unknown>;
  scope: string;
  startNs: bigint;
  endNs: bigint;
  status?: number;
}

interface AnyValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
  arrayValue?: { values?: AnyValue[] };
}
interface KeyValue {
  key: string;
  value: AnyValue;
}

const valueOf = (v: AnyValue): unknown =>
  v.stringValue ??
  (v.intValue !== undefined ? Number(v.intValue) : undefined) ??
  v.doubleValue ??
  v.boolValue ??
  v.arrayValue?.values?.map(valueOf);

const flatten = (kvs: KeyValue[] = []) =>
  Object.fromEntries(kvs.map((kv) => [kv.key, valueOf(kv.value)]));

/**
 * A real OTLP/HTTP receiver (the collector's `POST /v1/traces`, JSON encoding, which the SDK sends
 * with OTEL_EXPORTER_OTLP_PROTOCOL=http/json). `mode` injects the faults a collector can have:
 * `hang` accepts the request and never answers (slow), `fail` answers 503.
 */
export class OtlpReceiver {
  readonly spans: CollectedSpan[] = [];
  /** Raw request bodies, to search for anything that must never be exported. */
  readonly bodies: string[] = [];
  requests = 0;
  mode: 'ok' | 'hang' | 'fail' = 'ok';
  private server?: Server;
  private readonly hung: ServerResponse[] = [];

  get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    return this;
  }

  async stop(): Promise<void> {
    for (const res of this.hung) res.destroy();
    this.server?.closeAllConnections();
    await new Promise((r) => this.server?.close(r));
  }

  /** Waits until `pred` holds over the spans collected so far. */
  async waitFor(
    pred: (spans: CollectedSpan[]) => boolean,
    timeoutMs = 15000,
    what = 'spans',
  ): Promise<CollectedSpan[]> {
    const t0 = Date.now();
    while (!pred(this.spans)) {
      if (Date.now() - t0 > timeoutMs)
        throw new Error(
          `no ${what} within ${timeoutMs} ms; got: ${this.spans.map((s) => s.name).join(', ')}`,
        );
      await new Promise((r) => setTimeout(r, 50));
    }
    return this.spans;
  }

  trace(traceId: string): CollectedSpan[] {
    return this.spans.filter((s) => s.traceId === traceId);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.requests++;
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (this.mode === 'hang') {
      this.hung.push(res);
      return;
    }
    if (this.mode === 'fail') {
      res.writeHead(503).end();
      return;
    }
    if (req.method !== 'POST' || req.url !== '/v1/traces') {
      res.writeHead(404).end();
      return;
    }
    const body = Buffer.concat(chunks).toString('utf8');
    this.bodies.push(body);
    const doc = JSON.parse(body) as {
      resourceSpans?: Array<{
        resource?: { attributes?: KeyValue[] };
        scopeSpans?: Array<{
          scope?: { name?: string };
          spans?: Array<{
            traceId: string;
            spanId: string;
            parentSpanId?: string;
            name: string;
            kind: number;
            startTimeUnixNano: string;
            endTimeUnixNano: string;
            attributes?: KeyValue[];
            links?: Array<{ traceId: string; spanId: string; attributes?: KeyValue[] }>;
            status?: { code?: number };
          }>;
        }>;
      }>;
    };
    for (const rs of doc.resourceSpans ?? []) {
      const resource = flatten(rs.resource?.attributes);
      for (const ss of rs.scopeSpans ?? [])
        for (const s of ss.spans ?? [])
          this.spans.push({
            traceId: s.traceId,
            spanId: s.spanId,
            parentSpanId: s.parentSpanId || undefined,
            name: s.name,
            kind: s.kind,
            attributes: flatten(s.attributes),
            links: (s.links ?? []).map((l) => ({
              traceId: l.traceId,
              spanId: l.spanId,
              attributes: flatten(l.attributes),
            })),
            resource,
            scope: ss.scope?.name ?? '',
            startNs: BigInt(s.startTimeUnixNano),
            endNs: BigInt(s.endTimeUnixNano),
            status: s.status?.code,
          });
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  }
}

/** The spans of one trace as an indented tree (children by start time), for docs and failures. */
export function renderTree(spans: CollectedSpan[]): string {
  const ids = new Set(spans.map((s) => s.spanId));
  const children = new Map<string | undefined, CollectedSpan[]>();
  for (const s of spans) {
    const parent = s.parentSpanId && ids.has(s.parentSpanId) ? s.parentSpanId : undefined;
    children.set(parent, [...(children.get(parent) ?? []), s]);
  }
  const t0 = spans.reduce((m, s) => (s.startNs < m ? s.startNs : m), spans[0]?.startNs ?? 0n);
  const lines: string[] = [];
  const walk = (parent: string | undefined, depth: number) => {
    const kids = (children.get(parent) ?? []).sort((a, b) => (a.startNs < b.startNs ? -1 : 1));
    for (const s of kids) {
      const at = Number(s.startNs - t0) / 1e6;
      const dur = Number(s.endNs - s.startNs) / 1e6;
      const links = s.links.length ? `  [links: ${s.links.length}]` : '';
      lines.push(
        `${'  '.repeat(depth)}${s.name}  (+${at.toFixed(1)} ms, ${dur.toFixed(1)} ms)${links}`,
      );
      walk(s.spanId, depth + 1);
    }
  };
  walk(undefined, 0);
  return lines.join('\n');
}
