/** Model settings, keys, budget and `pushpals model test`. */
import assert from 'node:assert/strict';
import { chmodSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../src/cli';
import { loadConfig } from '../../src/config';
import { PushPalsError } from '../../src/errors';
import { TokenBudget } from '../../src/model/accounting';
import { readModelKey } from '../../src/model/keys';
import { probeModel } from '../../src/model/probe';
import { ModelRegistry } from '../../src/model/registry';
import { removeTempDirs, tempDir } from '../helpers/temp';
import { ScriptedModelServer } from '../helpers/scripted-model';

const KEY = 'sk-scripted-abcdefghijklmnop0123';

describe('model config and keys', () => {
  after(removeTempDirs);

  it('roles inherit the top level; precedence defaults < config.json < env < overrides', () => {
    const home = tempDir();
    writeFileSync(join(home, 'config.json'), JSON.stringify({ models: { baseUrl: 'http://file:1/v1', model: 'm-file', roles: { chat: { model: 'm-chat' } } } }));
    const c = loadConfig({ env: { PUSHPALS_HOME: home, PUSHPALS_CODER_MODEL_NAME: 'm-coder-env' } });
    const reg = new ModelRegistry(c, {});
    assert.equal(reg.endpoint('chat')?.model, 'm-chat');
    assert.equal(reg.endpoint('coder')?.model, 'm-coder-env');
    assert.equal(reg.endpoint('planner')?.model, 'm-file');
    assert.equal(reg.endpoint('planner')?.baseUrl, 'http://file:1/v1');
    const o = loadConfig({ env: { PUSHPALS_HOME: home, PUSHPALS_MODEL_BASE_URL: 'http://env:2/v1' }, overrides: { models: { model: 'm-flag' } } });
    assert.equal(new ModelRegistry(o, {}).endpoint('planner')?.model, 'm-flag');
    assert.equal(new ModelRegistry(o, {}).endpoint('planner')?.baseUrl, 'http://env:2/v1');
  });

  it('no base URL: no model, and the error says how to configure one', () => {
    const reg = new ModelRegistry(loadConfig({ env: { PUSHPALS_HOME: tempDir() } }), {});
    assert.equal(reg.configured('coder'), false);
    assert.throws(() => reg.client('coder'), (e: unknown) => e instanceof PushPalsError && e.code === 'model_not_configured' && /PUSHPALS_MODEL_BASE_URL/.test(e.message) && /models\.baseUrl/.test(e.message));
  });

  it('bad model settings fail the start, each named', () => {
    const home = tempDir();
    writeFileSync(join(home, 'config.json'), JSON.stringify({ models: { baseUrl: 'ftp://x', toolCalls: 'maybe', apiKey: 'sk-in-config', roles: { reviewer: {}, coder: { maxTokens: -1 } } } }));
    assert.throws(
      () => loadConfig({ env: { PUSHPALS_HOME: home } }),
      (e: unknown) =>
        e instanceof PushPalsError && /models.baseUrl: must be an http/.test(e.message) && /models.toolCalls/.test(e.message) && /models.apiKey: unknown setting/.test(e.message) && /models.roles.reviewer: unknown role/.test(e.message) && /models.roles.coder.maxTokens/.test(e.message),
    );
  });

  it('temperature: unset is the server\'s default (null); config, role override and env set it; out of range is refused', () => {
    const home = tempDir();
    assert.equal(new ModelRegistry(loadConfig({ env: { PUSHPALS_HOME: home }, overrides: { models: { baseUrl: 'http://h:1/v1', model: 'm' } } }), {}).endpoint('coder')?.temperature, null);
    writeFileSync(join(home, 'config.json'), JSON.stringify({ models: { baseUrl: 'http://h:1/v1', model: 'm', temperature: 0.7, roles: { coder: { temperature: 0 } } } }));
    const reg = new ModelRegistry(loadConfig({ env: { PUSHPALS_HOME: home } }), {});
    assert.deepEqual([reg.endpoint('coder')?.temperature, reg.endpoint('chat')?.temperature], [0, 0.7]);
    assert.equal(new ModelRegistry(loadConfig({ env: { PUSHPALS_HOME: home, PUSHPALS_MODEL_TEMPERATURE: '0.2' } }), {}).endpoint('chat')?.temperature, 0.2);
    assert.throws(() => loadConfig({ env: { PUSHPALS_HOME: home, PUSHPALS_MODEL_TEMPERATURE: 'cold' } }), /models.temperature: must be a number in \[0, 2\]/);
    writeFileSync(join(home, 'config.json'), JSON.stringify({ models: { roles: { coder: { temperature: 3 } } } }));
    assert.throws(() => loadConfig({ env: { PUSHPALS_HOME: home } }), /models.roles.coder.temperature: must be a number in \[0, 2\]/);
  });

  it('keys: the env variable wins; the file must be 0600 and not a symlink; none is fine', () => {
    const home = tempDir();
    const ep = { role: 'coder' as const, keyEnv: 'MY_KEY', keyPath: join(home, 'model-key') };
    assert.deepEqual(readModelKey(ep, {}), { value: undefined, source: 'none' });
    writeFileSync(ep.keyPath, `${KEY}\n`, { mode: 0o644 });
    chmodSync(ep.keyPath, 0o644);
    assert.throws(() => readModelKey(ep, {}), /readable by others \(mode 644\).*chmod 600/);
    chmodSync(ep.keyPath, 0o600);
    assert.deepEqual(readModelKey(ep, {}), { value: KEY, source: `file ${ep.keyPath}` });
    assert.deepEqual(readModelKey(ep, { MY_KEY: 'from-env-123456' }), { value: 'from-env-123456', source: 'env MY_KEY' });
    const link = { ...ep, keyPath: join(home, 'link-key') };
    symlinkSync(ep.keyPath, link.keyPath);
    assert.throws(() => readModelKey(link, {}), /not a symlink/);
  });

  it('the registry hands keys out only as secrets; describe() names the source, not the key', () => {
    const home = tempDir();
    writeFileSync(join(home, 'model-key'), KEY, { mode: 0o600 });
    const reg = new ModelRegistry(loadConfig({ env: { PUSHPALS_HOME: home }, overrides: { models: { baseUrl: 'http://127.0.0.1:1/v1', model: 'm' } } }), {});
    assert.deepEqual(reg.secrets(), [KEY]);
    assert.ok(reg.describe().every((l) => !l.includes(KEY)));
    assert.match(reg.describe().join('\n'), /coder: m at http:\/\/127.0.0.1:1\/v1 \(key: file .*model-key/);
  });
});

describe('model token budget', () => {
  it('check() throws budget_exceeded once the spending reaches the limit', () => {
    const b = new TokenBudget(100, 40);
    b.check();
    b.charge({ promptTokens: 50, completionTokens: 9, estimated: false });
    assert.equal(b.used, 99);
    b.check();
    b.charge({ promptTokens: 1, completionTokens: 0, estimated: false });
    assert.throws(() => b.check(), (e: unknown) => e instanceof PushPalsError && e.code === 'budget_exceeded' && /100 of 100/.test(e.message) && /agent.tokenBudget/.test(e.message));
  });
});

describe('pushpals model test', function () {
  this.timeout(20_000);
  let server: ScriptedModelServer;
  let home: string;
  before(async () => {
    server = await ScriptedModelServer.start({ apiKey: KEY, models: ['coder-x'] });
    home = tempDir();
    writeFileSync(join(home, 'model-key'), KEY, { mode: 0o600 });
  });
  after(async () => {
    await server.close();
    removeTempDirs();
  });
  const client = (model = 'coder-x', key: string | undefined = KEY) => {
    const reg = new ModelRegistry(loadConfig({ env: { PUSHPALS_HOME: home }, overrides: { models: { baseUrl: server.url, model, maxRetries: 0 } } }), key === KEY ? {} : { PUSHPALS_MODEL_KEY: key });
    return reg.client('coder');
  };
  const PROBE = 'What time is it';

  it('native tool calls', async () => {
    server.script(PROBE, [{ toolCalls: [{ name: 'get_time', arguments: { timezone: 'UTC' } }] }]);
    const r = await probeModel(client(), 'file');
    assert.equal(r.ok, true, JSON.stringify(r));
    assert.equal(r.toolCalls, 'native');
  });

  it('the JSON fallback, then prose only (fails), through the CLI with its exit code', async () => {
    server.script(PROBE, [{ textToolCall: { name: 'get_time', arguments: { timezone: 'UTC' } }, style: 'fenced' }, { text: 'It is noon.' }]);
    const out: string[] = [];
    const io = { out: (s: string) => out.push(s), env: { PUSHPALS_HOME: home, PUSHPALS_MODEL_BASE_URL: server.url, PUSHPALS_MODEL_NAME: 'coder-x' } };
    assert.equal(await main(['model', 'test', '--role', 'coder'], io), 0);
    assert.match(out.join('\n'), /✓ tool_calls +JSON fallback/);
    out.length = 0;
    assert.equal(await main(['model', 'test'], io), 1);
    assert.match(out.join('\n'), /✗ tool_calls +the model answered in text/);
  });

  it('says exactly what is wrong: bad key, unknown model, nothing listening, nothing configured', async () => {
    const badKey = await probeModel(client('coder-x', 'sk-bad-key-0000000000000'), 'env');
    assert.deepEqual(badKey.checks.map((c) => [c.name, c.ok]), [['reachable', true], ['auth', false]]);
    const noModel = await probeModel(client('gpt-nope'), 'file');
    assert.match(noModel.checks.find((c) => c.name === 'model')?.detail ?? '', /"gpt-nope" is not among the served models: coder-x/);
    const dead = await ScriptedModelServer.start();
    const url = dead.url;
    await dead.close();
    const reg = new ModelRegistry(loadConfig({ env: { PUSHPALS_HOME: home }, overrides: { models: { baseUrl: url, model: 'x', maxRetries: 0 } } }), {});
    const down = await probeModel(reg.client('coder'), 'none');
    assert.equal(down.checks[0]?.ok, false);
    assert.match(down.checks[0]?.detail ?? '', /cannot be reached/);
    const out: string[] = [];
    assert.equal(await main(['model', 'test', '--role', 'chat'], { out: (s) => out.push(s), env: { PUSHPALS_HOME: tempDir() } }), 1);
    assert.match(out.join('\n'), /no chat model is configured.*PUSHPALS_MODEL_BASE_URL/);
  });
});
