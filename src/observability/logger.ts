import type { Params } from 'nestjs-pino';
import type { AppConfig } from '../config';
import { requestIdOf } from '../common/http/request-id';

/** JSON logs with the request id; keys and credentials are redacted wherever they appear. */
export const loggerParams = (cfg: AppConfig): Params => ({
  pinoHttp: {
    level: cfg.logLevel,
    autoLogging: cfg.logRequests,
    genReqId: (req) => requestIdOf(req),
    customProps: () => ({ role: cfg.role }),
    redact: {
      paths: [
        'req.headers["x-api-key"]',
        'req.headers.authorization',
        'req.headers.cookie',
        'res.headers["set-cookie"]',
        '*.apiKey',
        '*.password',
      ],
      censor: '[redacted]',
    },
    serializers: {
      req: (req: { id: string; method: string; url: string }) => ({ id: req.id, method: req.method, url: req.url }),
    },
  },
});
