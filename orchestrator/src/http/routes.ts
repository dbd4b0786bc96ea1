/**
 * HTTP: health (no auth, no data), status and a REST face for scripts and the CLI. Every /api
 * route needs the bearer token; every request's Host is checked. One error handler at the end
 * turns anything thrown into `{ error: ErrorInfo }` with the matching status.
 */
import { statSync } from 'node:fs';
import express, { type NextFunction, type Request, type Response } from 'express';
import { CURRENT_MINOR, PROTOCOL_VERSION, isCompatibleVersion, isId, minorOf } from '@pushpals/protocol';
import { extractToken, hostAllowed } from '../auth/request-checks';
import { tokenFingerprint } from '../auth/token';
import { dispatchFrame, refuseFrame } from '../commands/dispatch';
import { rateLimitedError, TokenBucket } from '../commands/rate-limit';
import type { Config } from '../config';
import { PushPalsError, httpStatusOf, toErrorInfo } from '../errors';
import type { EventFilter } from '../events/event-log';
import type { Services } from '../services';
import { SERVER_VERSION } from '../version';
import { eventForMinor } from '../ws/downgrade';

export interface HttpDeps {
  services: Services;
  config: Config;
  tokenOk: (t: string | undefined) => boolean;
  startedAt: number;
}

/** The process's memory in MB: RSS and where it sits (V8 heap, off-heap buffers) — for operators and benchmarks. */
function memoryMb(): Record<'rss' | 'heapTotal' | 'heapUsed' | 'external' | 'arrayBuffers', number> {
  const m = process.memoryUsage();
  const mb = (n: number) => Math.round((n / 1048576) * 10) / 10;
  return { rss: mb(m.rss), heapTotal: mb(m.heapTotal), heapUsed: mb(m.heapUsed), external: mb(m.external), arrayBuffers: mb(m.arrayBuffers) };
}

function dbBytes(file: string): number {
  let n = 0;
  for (const f of [file, `${file}-wal`]) {
    try {
      n += statSync(f).size;
    } catch {
      // no WAL yet
    }
  }
  return n;
}

export function createHttpApp(deps: HttpDeps): express.Express {
  const { services, config, tokenOk } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.use((req: Request, res: Response, next: NextFunction) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Cache-Control', 'no-store');
    if (!hostAllowed(req.headers.host, config)) return next(new PushPalsError('forbidden', 'Host header not allowed (DNS-rebinding protection)'));
    next();
  });

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  const api = express.Router();
  api.use((req: Request, res: Response, next: NextFunction) => {
    const token = extractToken(req.headers, undefined, false);
    if (!tokenOk(token)) {
      res.setHeader('WWW-Authenticate', 'Bearer');
      return next(new PushPalsError('unauthorized', token === undefined ? 'missing bearer token' : 'invalid token'));
    }
    res.locals.tokenFingerprint = tokenFingerprint(token!);
    next();
  });

  api.get('/status', (_req, res) => {
    res.json({
      version: SERVER_VERSION,
      protocolVersion: PROTOCOL_VERSION,
      uptimeMs: Date.now() - deps.startedAt,
      dbBytes: dbBytes(config.dbFile),
      clients: services.clientCount(),
      queueDepth: services.queue.depth(),
      jobs: services.queue.countByState(),
      tasks: services.tasks.countByState(),
      headSeq: services.events.head(),
      audit: services.auditHead.status(),
      pid: process.pid,
      memory: memoryMb(),
      ...services.statusSections(),
    });
  });

  // One bucket per token: HTTP has no connection to hold one (and only the server's token gets here).
  const buckets = new Map<string, TokenBucket>();
  const bucketOf = (fingerprint: string): TokenBucket => {
    let b = buckets.get(fingerprint);
    if (!b) buckets.set(fingerprint, (b = new TokenBucket(config.rateLimit)));
    return b;
  };

  // A protocol command envelope in, its ack / command_error out (what the CLI uses).
  api.post('/commands', express.text({ type: () => true, limit: config.maxMessageBytes }), async (req: Request, res: Response) => {
    const raw = typeof req.body === 'string' ? req.body : '';
    const wait = bucketOf(String(res.locals.tokenFingerprint)).take();
    if (wait > 0) {
      res.setHeader('Retry-After', String(Math.ceil(wait / 1000)));
      res.status(httpStatusOf('rate_limited')).json(refuseFrame(raw, rateLimitedError(wait, config.rateLimit)));
      return;
    }
    const d = await dispatchFrame(raw, { services, clientId: 'http', tokenFingerprint: String(res.locals.tokenFingerprint), transport: 'http' });
    const status = d.response.type === 'ack' ? 200 : httpStatusOf(d.response.payload.code);
    res.status(status).json(d.response);
    d.after();
  });

  // Stored events after a cursor, for scripts (live clients use the WebSocket).
  api.get('/events', (req: Request, res: Response) => {
    const q = req.query;
    const after = Number(q.after ?? 0);
    const limit = Math.min(Number(q.limit ?? 1000), 10000);
    if (!Number.isInteger(after) || after < 0) throw new PushPalsError('invalid_message', 'after: must be a non-negative integer');
    if (!Number.isInteger(limit) || limit < 1) throw new PushPalsError('invalid_message', 'limit: must be an integer in [1, 10000]');
    const filter: EventFilter = {};
    for (const k of ['sessionId', 'taskId'] as const) {
      const v = q[k];
      if (v === undefined) continue;
      if (typeof v !== 'string' || !isId(v)) throw new PushPalsError('invalid_message', `${k}: invalid id`);
      filter[k] = v;
    }
    // `protocolVersion` (optional): the events as that minor knows them (protocol README: Versioning);
    // `lastSeq` is the last row read, so a page whose events were all withheld still moves the cursor.
    const version = q.protocolVersion;
    if (version !== undefined && (typeof version !== 'string' || !isCompatibleVersion(version))) {
      throw new PushPalsError('invalid_message', `protocolVersion: must be MAJOR.MINOR with this server's major (it speaks ${PROTOCOL_VERSION})`);
    }
    const minor = version === undefined ? CURRENT_MINOR : minorOf(version);
    const rows = services.events.readAfter(after, filter, limit);
    const frames = rows.map((r) => eventForMinor(r, minor)?.frame).filter((f): f is string => f !== undefined);
    res.type('application/json').send(`{"events":[${frames.join(',')}],"lastSeq":${rows.at(-1)?.seq ?? after}}`);
  });

  app.use('/api', api);

  app.use((req: Request, _res: Response, next: NextFunction) => next(new PushPalsError('not_found', `no route ${req.method} ${req.path}`)));

  // The one error handler.
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const info = bodyParserError(err) ?? toErrorInfo(err);
    if (info.code === 'internal') services.logger.error('HTTP request failed', { error: err });
    res.status(httpStatusOf(info.code)).json({ error: info });
  });

  return app;
}

/** Maps body-parser's errors (size limit, bad encoding) to protocol codes. */
function bodyParserError(err: unknown): ReturnType<typeof toErrorInfo> | undefined {
  if (typeof err !== 'object' || err === null || !('type' in err)) return undefined;
  const type = (err as { type: unknown }).type;
  if (type === 'entity.too.large') return { code: 'too_large', message: 'request body exceeds maxMessageBytes' };
  if (typeof type === 'string' && type.startsWith('encoding.')) return { code: 'invalid_message', message: 'unsupported request encoding' };
  return undefined;
}
