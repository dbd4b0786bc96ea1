/** Which worker takes a task: task_new.agent > agents.repos (id or name) > agents.default; bad settings fail the start. */
import assert from 'node:assert/strict';
import { selectedAgent } from '../../../src/agents/openhands/selection';
import { loadConfig } from '../../../src/config';
import type { TaskRecord } from '../../../src/tasks/task-store';
import { removeTempDirs, tempDir } from '../../helpers/temp';

const task = (o: Partial<TaskRecord>): TaskRecord => ({ id: 't1', parentId: null, sessionId: 's', repoId: null, title: 'x', request: 'x', context: null, includeUncommitted: false, base: null, state: 'queued', agentId: null, summary: null, error: null, createdAt: 0, updatedAt: 0, startedAt: null, finishedAt: null, pausedAt: null, ...o });
const repos = { get: (id: string) => (id === 'r_named' ? ({ name: 'demo' } as never) : undefined) };

describe('worker selection', () => {
  after(() => removeTempDirs());

  it('task choice, then the repo (by id or name), then the default', () => {
    const config = { agents: { default: 'worker:builtin' as const, repos: { r_byid: 'openhands' as const, demo: 'openhands' as const } } };
    assert.equal(selectedAgent(task({}), config, repos), 'worker:builtin');
    assert.equal(selectedAgent(task({ repoId: 'r_byid' }), config, repos), 'openhands');
    assert.equal(selectedAgent(task({ repoId: 'r_named' }), config, repos), 'openhands');
    assert.equal(selectedAgent(task({ repoId: 'r_named', context: { agent: 'worker:builtin' } }), config, repos), 'worker:builtin');
    assert.equal(selectedAgent(task({ context: { agent: 'openhands' } }), config, repos), 'openhands');
  });

  it('config: defaults, env, and typed errors naming the setting', () => {
    const dataDir = tempDir('pp-sel-');
    const c = loadConfig({ env: {}, overrides: { dataDir } });
    assert.deepEqual(c.agents, { default: 'worker:builtin', repos: {} });
    assert.equal(c.openhands.image, 'pushpals-openhands:dev');
    assert.equal(loadConfig({ env: { PUSHPALS_AGENT: 'openhands' }, overrides: { dataDir } }).agents.default, 'openhands');
    assert.throws(() => loadConfig({ env: { PUSHPALS_AGENT: 'gpt' }, overrides: { dataDir } }), /agents\.default: must be one of worker:builtin, openhands/);
    assert.throws(() => loadConfig({ env: {}, overrides: { dataDir, agents: { repos: { demo: 'x' as never } } } }), /agents\.repos\.demo: must be one of/);
    assert.throws(() => loadConfig({ env: {}, overrides: { dataDir, openhands: { readyTimeoutMs: 0 } } }), /openhands\.readyTimeoutMs/);
  });
});
