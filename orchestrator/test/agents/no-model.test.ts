/** Without a coder model, a request the heuristic lane does not understand fails saying how to configure one. */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { App } from '../../src/app';
import { hostGit } from '../git/fixtures';
import { startApp } from '../helpers/env';
import { removeTempDirs, tempDir } from '../helpers/temp';
import { until } from '../helpers/wait';

describe('coding agent: no model configured', function () {
  this.timeout(30_000);
  let app: App;
  before(async () => {
    app = await startApp({}, { workbench: true });
    // A task names a registered repository (or there is one): register one for it.
    const repo = tempDir('pp-no-model-repo-');
    hostGit(repo, 'init', '-q', '-b', 'main');
    writeFileSync(join(repo, 'README.md'), '# r\n');
    hostGit(repo, 'add', '.');
    hostGit(repo, 'commit', '-q', '-m', 'r');
    await app.workbench?.repos.add(repo);
  });
  after(async () => {
    await app?.close();
    removeTempDirs();
  });

  it('fails the task with model_not_configured and the config keys / env variables to set', async () => {
    const task = app.services.createTask({ request: 'Refactor the parser to use a visitor', sessionId: 's1' });
    await until(() => app.services.tasks.get(task.id)?.state === 'failed', 20_000, 'the task to fail');
    const ev = app.services.events.readAfter(0, { taskId: task.id }, 1000).find((e) => e.type === 'task_failed');
    const error = ev ? (JSON.parse(ev.frame) as { payload: { error: { code: string; message: string } } }).payload.error : undefined;
    assert.equal(error?.code, 'model_not_configured');
    assert.match(error?.message ?? '', /models\.baseUrl/);
    assert.match(error?.message ?? '', /PUSHPALS_MODEL_BASE_URL/);
    assert.match(error?.message ?? '', /Run git status/);
    assert.equal(app.services.agents.list().some((a) => a.id === 'worker:builtin'), false);
  });
});
