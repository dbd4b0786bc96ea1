import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import type { App } from '../../src/app';
import { openSocket } from '../helpers/ws-client';
import { startApp } from '../helpers/env';
import { removeTempDirs } from '../helpers/temp';

/** A raw HTTP request (fetch cannot set the Host header). */
function http(url: string, opts: { path: string; method?: string; headers?: Record<string, string>; body?: string }): Promise<{ status: number; body: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path: opts.path, method: opts.method ?? 'GET', headers: opts.headers ?? {} }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

async function wsStatus(p: Promise<unknown>): Promise<number | 'open'> {
  try {
    const ws = (await p) as { close(): void };
    ws.close();
    return 'open';
  } catch (e) {
    return (e as { status?: number }).status ?? -1;
  }
}

describe('server: authentication and transport checks', () => {
  let app: App;
  before(async () => {
    app = await startApp({ allowedOrigins: ['https://phone.example'] });
  });
  after(async () => {
    await app.close();
    removeTempDirs();
  });

  it('generates the token on first start, stored 0600 in the data dir', () => {
    const file = join(app.services.config.dataDir, 'token');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.ok(app.token.length >= 40);
  });

  it('binds to 127.0.0.1 by default', () => {
    assert.match(app.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('GET /healthz needs no auth and returns no data', async () => {
    const r = await http(app.url, { path: '/healthz' });
    assert.equal(r.status, 200);
    assert.deepEqual(JSON.parse(r.body), { status: 'ok' });
  });

  it('HTTP /api without a token → 401; with a wrong token → 401; with the token → 200', async () => {
    assert.equal((await http(app.url, { path: '/api/status' })).status, 401);
    const wrong = await http(app.url, { path: '/api/status', headers: { Authorization: 'Bearer nope-nope-nope-nope' } });
    assert.equal(wrong.status, 401);
    assert.equal(JSON.parse(wrong.body).error.code, 'unauthorized');
    const ok = await http(app.url, { path: '/api/status', headers: { Authorization: `Bearer ${app.token}` } });
    assert.equal(ok.status, 200);
    const s = JSON.parse(ok.body);
    for (const k of ['version', 'uptimeMs', 'dbBytes', 'clients', 'queueDepth']) assert.ok(k in s, k);
  });

  it('HTTP with a foreign Host header → 403 (DNS rebinding), even with the token', async () => {
    const r = await http(app.url, { path: '/api/status', headers: { Host: 'evil.example:80', Authorization: `Bearer ${app.token}` } });
    assert.equal(r.status, 403);
    assert.equal((await http(app.url, { path: '/healthz', headers: { Host: 'evil.example' } })).status, 403);
    assert.equal((await http(app.url, { path: '/healthz', headers: { Host: `localhost:${app.port}` } })).status, 200);
  });

  it('WS without a token → 401, wrong token → 401', async () => {
    assert.equal(await wsStatus(openSocket(app.wsUrl)), 401);
    assert.equal(await wsStatus(openSocket(app.wsUrl, { token: 'x'.repeat(43) })), 401);
    assert.equal(await wsStatus(openSocket(app.wsUrl, { token: app.token })), 'open');
  });

  it('WS with a foreign Origin → 403; the VS Code webview, configured and same origins are allowed', async () => {
    assert.equal(await wsStatus(openSocket(app.wsUrl, { token: app.token, headers: { Origin: 'https://evil.example' } })), 403);
    assert.equal(await wsStatus(openSocket(app.wsUrl, { token: app.token, headers: { Origin: 'null' } })), 403);
    assert.equal(await wsStatus(openSocket(app.wsUrl, { token: app.token, headers: { Origin: 'vscode-webview://abc123' } })), 'open');
    assert.equal(await wsStatus(openSocket(app.wsUrl, { token: app.token, headers: { Origin: 'https://phone.example' } })), 'open');
    assert.equal(await wsStatus(openSocket(app.wsUrl, { token: app.token, headers: { Origin: `http://127.0.0.1:${app.port}` } })), 'open');
  });

  it('WS with a foreign Host → 403', async () => {
    assert.equal(await wsStatus(openSocket(app.wsUrl, { token: app.token, headers: { Host: 'attacker.example' } })), 403);
  });

  it('WS token through a subprotocol (browsers) or ?token=; the token is never echoed', async () => {
    const ws = await openSocket(app.wsUrl, { protocols: ['pushpals', `pushpals.bearer.${app.token}`] });
    assert.equal(ws.protocol, 'pushpals');
    ws.close();
    assert.equal(await wsStatus(openSocket(app.wsUrl, { protocols: ['pushpals', 'pushpals.bearer.wrongwrongwrongwrong'] })), 401);
    assert.equal(await wsStatus(openSocket(`${app.wsUrl}?token=${app.token}`)), 'open');
  });

  it('unknown WS path → 404; unknown HTTP route → 404 typed error', async () => {
    assert.equal(await wsStatus(openSocket(app.wsUrl.replace('/ws', '/other'), { token: app.token })), 404);
    const r = await http(app.url, { path: '/api/nope', headers: { Authorization: `Bearer ${app.token}` } });
    assert.equal(r.status, 404);
    assert.equal(JSON.parse(r.body).error.code, 'not_found');
  });
});
