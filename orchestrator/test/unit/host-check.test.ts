import assert from 'node:assert/strict';
import { request } from 'node:http';
import type { App } from '../../src/app';
import { hostAllowed, parseHostHeader } from '../../src/auth/request-checks';
import { startApp } from '../helpers/env';
import { removeTempDirs } from '../helpers/temp';

const local = { host: '127.0.0.1', allowedHosts: [] as string[] };
const withNames = { host: '127.0.0.1', allowedHosts: ['box.internal', '[fd00::7]'] };
const boundTo = { host: '192.168.1.20', allowedHosts: [] as string[] };

// [Host header, config, allowed?, why]
const CASES: Array<[string | undefined, typeof local, boolean, string]> = [
  ['127.0.0.1', local, true, 'loopback IPv4'],
  ['127.0.0.1:8787', local, true, 'loopback IPv4 with a port'],
  ['127.5.6.7:1', local, true, 'all of 127/8 is loopback'],
  ['localhost:8787', local, true, 'localhost with a port'],
  ['LOCALHOST', local, true, 'names are case-insensitive'],
  ['app.localhost:3000', local, true, '*.localhost never goes to DNS (RFC 6761)'],
  ['[::1]', local, true, 'IPv6 loopback literal'],
  ['[::1]:8787', local, true, 'IPv6 loopback literal with a port'],
  ['[0:0:0:0:0:0:0:1]:80', local, true, 'IPv6 loopback, long form'],
  ['[::ffff:127.0.0.1]:80', local, true, 'IPv4-mapped loopback'],
  ['box.internal:8787', withNames, true, 'a configured name'],
  ['[fd00::7]:8787', withNames, true, 'a configured IPv6 literal'],
  ['192.168.1.20:8787', boundTo, true, 'the address the server is bound to'],
  [undefined, local, false, 'no Host header'],
  ['', local, false, 'empty Host header'],
  ['evil.com', local, false, 'a foreign name'],
  ['127.0.0.1:80@evil.com', local, false, 'userinfo trick: the port part is not a port'],
  ['127.0.0.1@evil.com', local, false, 'userinfo trick without a port'],
  ['localhost:80@evil', local, false, 'userinfo trick on localhost'],
  ['localhost.evil.com', local, false, 'loopback name as a label of a foreign domain'],
  ['127.0.0.1.evil.com', local, false, 'loopback address as labels of a foreign domain'],
  ['localhost.', local, false, 'a trailing dot makes another (DNS-resolved) name'],
  ['localhost:', local, false, 'an empty port'],
  ['localhost:123456', local, false, 'a port out of range (digits)'],
  ['localhost:99999', local, false, 'a port out of range (value)'],
  ['localhost:80:81', local, false, 'two ports'],
  ['::1', local, false, 'a bare IPv6 literal is not a valid Host'],
  ['[::1', local, false, 'unbalanced bracket'],
  ['[::1]x', local, false, 'junk after the bracket'],
  ['[::1%25eth0]:80', local, false, 'a zone id'],
  ['[::2]:80', local, false, 'a non-loopback IPv6 literal'],
  ['[fe80::1]', withNames, false, 'an IPv6 literal that is not configured'],
  ['127.1', local, false, 'shorthand IPv4 is not accepted'],
  ['0x7f.0.0.1', local, false, 'hex IPv4 is not accepted'],
  ['local host', local, false, 'whitespace inside'],
  ['localhost/evil', local, false, 'a path character'],
  ['localhost\\evil', local, false, 'a backslash'],
  ['box.internal.evil.com', withNames, false, 'a configured name as a prefix'],
  ['0.0.0.0', { host: '0.0.0.0', allowedHosts: [] }, false, 'binding to all interfaces does not allow the wildcard as a Host'],
];

describe('auth: Host header check', () => {
  for (const [header, cfg, allowed, why] of CASES) {
    it(`${JSON.stringify(header)} → ${allowed ? 'allowed' : 'refused'} (${why})`, () => {
      assert.equal(hostAllowed(header, cfg), allowed);
    });
  }

  it('parses ports and IPv6 literals', () => {
    assert.deepEqual(parseHostHeader('[::1]:8787'), { host: '::1', ipv6: true, port: 8787 });
    assert.deepEqual(parseHostHeader('Example.COM'), { host: 'example.com', ipv6: false, port: undefined });
    assert.equal(parseHostHeader('127.0.0.1:80@evil'), undefined);
  });

  describe('on a real server', () => {
    let app: App;
    before(async () => {
      app = await startApp();
    });
    after(async () => {
      await app.close();
      removeTempDirs();
    });

    const status = (host: string): Promise<number> =>
      new Promise((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: app.port, path: '/healthz', headers: { Host: host } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });

    it('answers loopback Hosts and refuses the tricks with 403', async () => {
      assert.equal(await status(`127.0.0.1:${app.port}`), 200);
      assert.equal(await status(`[::1]:${app.port}`), 200);
      assert.equal(await status(`127.0.0.1:${app.port}@evil.com`), 403);
      assert.equal(await status('localhost.evil.com'), 403);
    });
  });
});
