/**
 * The default allowlist is read from THIS machine's package managers at run time: whatever npm and
 * pip say here must be in it (compared against the tools' own answers, nothing hard-coded).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { Allowlist } from '../../src/egress/allowlist';
import { detectRegistries } from '../../src/egress/registries';

const ask = (cmd: string, args: string[]): string | undefined => {
  try {
    return execFileSync(cmd, args, { cwd: tmpdir(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
};

describe('registries of this machine (read at run time)', function () {
  this.timeout(60_000);

  it("npm's configured registry is allowlisted, and the set-up sandbox is pointed at it", async () => {
    const registry = ask('npm', ['config', 'get', 'registry']);
    assert.ok(registry, 'npm is installed on this machine');
    const r = await detectRegistries({ discoverFileHosts: false });
    const host = new URL(registry).hostname;
    assert.ok(new Allowlist(r.entries).match(host, Number(new URL(registry).port || 443)), `${host} in ${JSON.stringify(r.entries)}`);
    assert.equal(r.env.npm_config_registry, registry);
  });

  it("pip's index (configured, or pip's own default) and the host its files come from are allowlisted", async () => {
    const r = await detectRegistries();
    const pip = r.registries.find((x) => x.ecosystem === 'pip');
    assert.ok(pip, `pip found: ${r.notes.join('; ')}`);
    const env = process.env.PIP_INDEX_URL ?? ask('python3', ['-m', 'pip', 'config', 'get', 'global.index-url']) ?? ask('python3', ['-c', 'from pip._internal.models.index import PyPI; print(PyPI.simple_url)']);
    assert.equal(pip.url, env);
    const list = new Allowlist(r.entries);
    assert.ok(list.match(new URL(pip.url).hostname, 443));
    // The index says where its files live (PEP 691): a host besides the index's own, or the same.
    assert.ok(r.entries.some((e) => /files of/.test(e.source)), `file hosts discovered: ${JSON.stringify(r.entries)}`);
  });

  it('an environment with an explicit index wins over the configuration, and a missing tool is a note, not an error', async () => {
    const r = await detectRegistries({ env: { ...process.env, PATH: '/nonexistent', PIP_INDEX_URL: 'https://pypi.example.test/simple' }, discoverFileHosts: false });
    assert.deepEqual(r.registries.map((x) => [x.ecosystem, x.url]), [['pip', 'https://pypi.example.test/simple']]);
    assert.ok(r.notes.some((n) => /^npm:/.test(n)));
    assert.ok(r.notes.some((n) => /^go:/.test(n)));
    assert.equal(r.env.PIP_INDEX_URL, 'https://pypi.example.test/simple');
  });
});
