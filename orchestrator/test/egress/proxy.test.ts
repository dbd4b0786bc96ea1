/**
 * The egress proxy over real sockets: a Unix-socket proxy, a TCP upstream on loopback standing in for
 * a registry. Allowed tunnels carry bytes both ways; a refused host is answered 403 WITHOUT any
 * connection or name lookup (the dial function, the proxy's only way out, is never called); plain
 * HTTP and malformed targets are refused; every decision is reported once.
 */
import assert from 'node:assert/strict';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { Allowlist, normalizeHost, parseAllowEntry } from '../../src/egress/allowlist';
import { EgressProxy, parseConnectTarget, type EgressDecision } from '../../src/egress/proxy';
import { PushPalsError } from '../../src/errors';
import { removeTempDirs, tempDir } from '../helpers/temp';
import { until } from '../helpers/wait';

/** Sends raw bytes to the proxy's socket and collects everything until it closes (or `until` matches). */
function talk(socketPath: string, request: string, then?: (s: Socket, soFar: string) => void): Promise<string> {
  return new Promise((res, rej) => {
    const s = connect(socketPath);
    let out = '';
    let sent = false;
    s.on('data', (d) => {
      out += d.toString('utf8');
      if (!sent && then && out.includes('\r\n\r\n')) {
        sent = true;
        then(s, out);
      }
    });
    s.on('close', () => res(out));
    s.on('error', rej);
    s.write(request);
  });
}

describe('egress proxy (real sockets)', function () {
  this.timeout(20_000);
  let upstream: Server;
  let upstreamPort = 0;
  let proxy: EgressProxy;
  let sock = '';
  const decisions: EgressDecision[] = [];
  const dialed: string[] = [];

  before(async () => {
    upstream = createServer((c) => c.on('data', (d) => c.end(`echo:${d.toString('utf8')}`)));
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    upstreamPort = (upstream.address() as { port: number }).port;
    sock = join(tempDir('pp-egress-'), 'proxy.sock');
    proxy = new EgressProxy({
      allowlist: new Allowlist([parseAllowEntry(`127.0.0.1:${upstreamPort}`, 'test'), parseAllowEntry('*.example.test', 'test')]),
      onDecision: (d) => decisions.push(d),
      dial: (host, port) => {
        dialed.push(`${host}:${port}`);
        return connect({ host, port });
      },
    });
    await proxy.listen(sock);
  });
  after(async () => {
    await proxy.close();
    await new Promise((r) => upstream.close(r));
    removeTempDirs();
  });
  beforeEach(() => {
    decisions.length = 0;
    dialed.length = 0;
  });

  it('an allowlisted CONNECT gets 200 and a tunnel that carries bytes both ways', async () => {
    const out = await talk(sock, `CONNECT 127.0.0.1:${upstreamPort} HTTP/1.1\r\nHost: 127.0.0.1:${upstreamPort}\r\n\r\n`, (s) => s.write('hello'));
    assert.match(out, /^HTTP\/1\.1 200 Connection Established\r\n\r\necho:hello$/);
    assert.deepEqual(dialed, [`127.0.0.1:${upstreamPort}`]);
    assert.deepEqual(decisions.map((d) => [d.host, d.port, d.allowed, d.method]), [['127.0.0.1', upstreamPort, true, 'CONNECT']]);
    assert.match(decisions[0]?.reason ?? '', /allowlisted by test/);
    await until(() => proxy.openTunnels === 0, 15_000);
  });

  it('a host outside the allowlist is refused with 403 before any lookup or connection', async () => {
    const out = await talk(sock, 'CONNECT x.invalid:443 HTTP/1.1\r\nHost: x.invalid:443\r\n\r\n');
    assert.match(out, /^HTTP\/1\.1 403 Forbidden\r\n/);
    assert.match(out, /blocked: x\.invalid:443 is not in the egress allowlist/);
    assert.deepEqual(dialed, [], 'nothing was dialled: no DNS lookup, no packet off the machine');
    assert.deepEqual(decisions.map((d) => [d.host, d.port, d.allowed]), [['x.invalid', 443, false]]);
  });

  it('the port is part of the decision; wildcards match names strictly below the suffix', async () => {
    await talk(sock, `CONNECT 127.0.0.1:${upstreamPort + 1 > 65535 ? 1 : upstreamPort + 1} HTTP/1.1\r\n\r\n`);
    assert.deepEqual(dialed, []);
    const list = new Allowlist([parseAllowEntry('*.example.test', 't'), parseAllowEntry('Registry.Example.ORG.', 't')]);
    assert.ok(list.match('a.example.test', 443));
    assert.ok(list.match('a.b.example.test', 443));
    assert.equal(list.match('example.test', 443), undefined);
    assert.equal(list.match('evilexample.test', 443), undefined);
    assert.equal(list.match('a.example.test', 80), undefined);
    assert.ok(list.match('registry.example.org', 443), 'case and a trailing dot do not matter');
    assert.equal(list.match('registry.example.org.evil.test', 443), undefined);
  });

  it('plain-HTTP proxy requests and malformed targets are refused and reported', async () => {
    const plain = await talk(sock, `GET http://127.0.0.1:${upstreamPort}/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
    assert.match(plain, /^HTTP\/1\.1 403/);
    assert.match(plain, /only HTTPS \(CONNECT\)/);
    const bad = await talk(sock, 'CONNECT no-port-here HTTP/1.1\r\n\r\n');
    assert.match(bad, /^HTTP\/1\.1 400[\s\S]*malformed CONNECT target/);
    // Not even HTTP: the server's parser refuses it (no decision to report, nothing dialled).
    const garbage = await talk(sock, 'CONNECT not a target HTTP/1.1\r\n\r\n');
    assert.match(garbage, /^HTTP\/1\.1 400/);
    assert.deepEqual(dialed, []);
    assert.deepEqual(decisions.map((d) => d.allowed), [false, false]);
  });

  it('an allowed host that does not answer gets 502 saying so', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as { port: number }).port;
    await new Promise((r) => closed.close(r));
    const p2 = new EgressProxy({ allowlist: new Allowlist([parseAllowEntry(`127.0.0.1:${port}`, 't')]), onDecision: () => undefined });
    const s2 = join(tempDir('pp-egress-'), 'p.sock');
    await p2.listen(s2);
    const out = await talk(s2, `CONNECT 127.0.0.1:${port} HTTP/1.1\r\n\r\n`);
    await p2.close();
    assert.match(out, /^HTTP\/1\.1 502 Bad Gateway[\s\S]*could not reach 127\.0\.0\.1:\d+: .*ECONNREFUSED/);
  });

  it('parses targets and entries strictly, with typed errors', () => {
    assert.deepEqual(parseConnectTarget('[::1]:8443'), { host: '::1', port: 8443 });
    assert.equal(parseConnectTarget('host:0'), undefined);
    assert.equal(parseConnectTarget('host:99999'), undefined);
    assert.equal(parseConnectTarget('a b:443'), undefined);
    assert.equal(normalizeHost('-bad-.example'), undefined);
    assert.equal(normalizeHost('ok.EXAMPLE.'), 'ok.example');
    assert.throws(() => parseAllowEntry('http://x.test/', 'settings'), (e: unknown) => e instanceof PushPalsError && e.code === 'invalid_message' && /settings/.test(e.message));
    assert.deepEqual(parseAllowEntry('x.test:8443', 's'), { host: 'x.test', port: 8443, wildcard: false, source: 's' });
  });
});
