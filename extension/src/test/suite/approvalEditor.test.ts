/**
 * Approving a commit and a pull request in an editor tab, against the REAL orchestrator (child process,
 * Docker sandbox) whose coding agent is the scripted model server (real HTTP), and the GitHub REST
 * stand-in (real HTTP): `pushpals.approve` opens the proposal in an editor (`git-commit` / `markdown`)
 * with `#` help lines; closing it decides nothing; an empty message is refused and the editor stays;
 * the submitted, edited multi-line message is exactly the commit's message on pushpals/<task> in the
 * orchestrator's clone (host git), comments stripped; the pull request's edited title and body
 * (Markdown headings kept) are exactly what the forge receives.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as vscode from 'vscode';
import { MESSAGE_SCHEME } from '../../messageEditor';
import { SCISSORS, parsePullRequest, stripCommitMessage } from '../../messageText';
import { debugInfo, Fatal, liveOrchestrator, waitFor } from '../helpers';

/** out/test/suite → the repository root (the orchestrator's built test helpers live there). */
const REPO_ROOT = path.join(__dirname, '..', '..', '..', '..');

interface ScriptedModel {
  url: string;
  script(match: string, replies: unknown[]): unknown;
  close(): Promise<void>;
}
interface ForgeStandIn {
  url: string;
  pulls: { number: number; title: string; body: string; head: string }[];
  close(): Promise<void>;
}
const helper = async <T>(file: string): Promise<T> => (await import(pathToFileURL(path.join(REPO_ROOT, 'orchestrator', 'dist', 'test', 'helpers', file)).href)) as T;

interface Outcome {
  approvalId: string;
  decision: string;
  state: string;
}

const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1' } });
const FORGE_TOKEN = 'ghp_hostEditorTestToken0123456789abcd';
const TOKEN_ENV = 'PUSHPALS_E2E_EDITOR_FORGE_TOKEN';
const PROPOSED = 'Polish the project description\n\nProposed by the model.';

describe('approval editor: commit message and pull request in an editor tab (real orchestrator)', function () {
  this.timeout(240000);
  const workspace = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '';
  const config: Record<string, unknown> = { planner: { enabled: false } };
  let model: ScriptedModel | undefined;
  let forge: ForgeStandIn | undefined;
  let origin = '';
  before(async () => {
    assert.ok(workspace, 'the host tests open a git workspace');
    const { ScriptedModelServer } = await helper<{ ScriptedModelServer: { start(o: { models: string[] }): Promise<ScriptedModel> } }>('scripted-model.js');
    const { FakeGitHub } = await helper<{ FakeGitHub: { start(o: { owner: string; repo: string; token: string; firstNumber: number }): Promise<ForgeStandIn> } }>('fake-github.js');
    model = await ScriptedModelServer.start({ models: ['scripted-coder'] });
    const readme = fs.readFileSync(path.join(workspace, 'README.md'), 'utf8');
    model.script('Polish the project description through the model', [
      { toolCalls: [{ name: 'write_file', arguments: { path: 'README.md', content: readme.replace('projet', 'project').replace('teh', 'the') } }] },
      { toolCalls: [{ name: 'finish', arguments: { summary: 'done' } }] },
    ]);
    model.script('Task: Polish the project description', [{ text: PROPOSED }]);
    forge = await FakeGitHub.start({ owner: 'acme', repo: 'sample', token: FORGE_TOKEN, firstNumber: 3 });
    // The workspace's `origin` (read by the orchestrator at push time); removed again after the suite.
    origin = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pp-editor-origin-')), 'sample.git');
    git(workspace, 'clone', '-q', '--bare', workspace, origin);
    git(workspace, 'remote', 'add', 'origin', origin);
    process.env[TOKEN_ENV] = FORGE_TOKEN; // the orchestrator child inherits the extension host's environment
    Object.assign(config, {
      models: { baseUrl: model.url, model: 'scripted-coder', maxRetries: 1 },
      forge: { tokenEnv: TOKEN_ENV, repos: { [path.basename(workspace)]: { apiBaseUrl: forge.url, repository: 'acme/sample' } } },
    });
  });
  const orch = liveOrchestrator({ config });
  after(async () => {
    delete process.env[TOKEN_ENV];
    if (workspace && origin) git(workspace, 'remote', 'remove', 'origin');
    if (origin) fs.rmSync(path.dirname(origin), { recursive: true, force: true });
    await model?.close();
    await forge?.close();
  });

  const messageEditor = () => vscode.window.visibleTextEditors.find((e) => e.document.uri.scheme === MESSAGE_SCHEME);
  const pending = async () => (await debugInfo()).pendingApprovals;
  const replaceAll = async (e: vscode.TextEditor, text: string) => {
    assert.ok(await e.edit((b) => b.replace(new vscode.Range(0, 0, e.document.lineCount, 0), text)));
  };
  const approveInEditor = async (approvalId: string) => {
    const outcome = vscode.commands.executeCommand('pushpals.approve', approvalId) as Thenable<Outcome>;
    const editor = await waitFor('the approval\'s editor tab', () => messageEditor(), 20000);
    return { outcome, editor };
  };
  const clone = () => {
    const repos = path.join(orch().home, 'repos');
    return path.join(repos, fs.readdirSync(repos).filter((n) => !n.startsWith('.'))[0] ?? '');
  };
  let taskId = '';
  /** The task branch's commit in the orchestrator's clone ('' while there is none). */
  const branchAt = () => {
    try {
      return git(clone(), 'rev-parse', '--verify', '-q', `pushpals/${taskId}`).trim();
    } catch {
      return '';
    }
  };
  /** A commit's message exactly as stored (what follows the header of `git cat-file commit`). */
  const storedMessage = (rev: string) => {
    const raw = git(clone(), 'cat-file', 'commit', rev);
    return raw.slice(raw.indexOf('\n\n') + 2);
  };

  it('the commit approval opens in a git-commit editor with the proposal and # help; closing the tab (no save prompt) decides nothing', async () => {
    taskId = ((await vscode.commands.executeCommand('pushpals.newTask', 'Polish the project description through the model')) as string | undefined) ?? '';
    assert.ok(taskId, 'pushpals.newTask returned no task id');
    await waitFor('the task\'s diff', async () => {
      const t = (await debugInfo()).tasks.find((x) => x.taskId === taskId);
      if (t?.state === 'failed') throw new Fatal(`task ${taskId} failed`);
      return t?.state === 'completed' || t?.state === 'awaiting_approval';
    }, 120000, 200);
    const accepted = (await vscode.commands.executeCommand('pushpals.acceptAll', { taskId })) as number | undefined;
    assert.ok(accepted && accepted > 0, `no hunk accepted (${accepted}): ${JSON.stringify((await debugInfo()).tasks)}\n${orch().log().slice(-4000)}`);
    const approvalId = await waitFor('the commit approval', async () => (await pending())[0], 60000, 100);
    const branchBefore = branchAt();
    const { outcome, editor } = await approveInEditor(approvalId);
    const text = editor.document.getText();
    assert.ok(text.startsWith(`${PROPOSED}\n\n# `), text);
    assert.match(text, /^# Commit: Ctrl\+Enter/m);
    assert.equal(editor.document.languageId, 'git-commit');
    assert.equal(stripCommitMessage(text, '#'), PROPOSED, 'the help is only comment lines');
    // Typed text is kept in memory at once: closing does not ask to save, and the next Approve reopens it.
    await replaceAll(editor, `A draft line, left open\n\n${text}`);
    await waitFor('the typed text saved into memory', () => !editor.document.isDirty, 5000);
    const tab = vscode.window.tabGroups.activeTabGroup.activeTab;
    assert.ok(tab && (tab.input as vscode.TabInputText).uri.scheme === MESSAGE_SCHEME);
    await vscode.window.tabGroups.close(tab);
    assert.deepEqual(await outcome, { approvalId, decision: 'approve', state: 'cancelled' });
    assert.deepEqual(await pending(), [approvalId], 'still pending after the tab closed');
    assert.equal(branchAt(), branchBefore, 'nothing was committed');
  });

  it('Approve again reopens the text as it was left; an empty message is refused (the editor stays); the edited two-paragraph message is committed exactly, comments stripped', async () => {
    const approvalId = (await pending())[0] ?? '';
    const branchBefore = branchAt();
    const { outcome, editor } = await approveInEditor(approvalId);
    assert.ok(editor.document.getText().startsWith(`A draft line, left open\n\n${PROPOSED}\n\n# `), 'reopened as it was left');
    await replaceAll(editor, '\n# only comments\n\n');
    assert.equal(await vscode.commands.executeCommand('pushpals.submitCommit'), false);
    assert.ok(messageEditor(), 'the editor stays open');
    assert.deepEqual(await pending(), [approvalId]);
    await replaceAll(editor, 'Fix two README typos   \n\n\nEdited in the editor:\n# a note of mine, removed\nprojet → project, teh → the.\n\n# Commit: Ctrl+Enter\n');
    assert.equal(await vscode.commands.executeCommand('pushpals.submitCommit'), true);
    assert.deepEqual(await outcome, { approvalId, decision: 'approve', state: 'approved' });
    await waitFor('the editor tab to close', () => !messageEditor(), 10000);
    const sha = await waitFor('the commit on the task branch', () => (branchAt() !== branchBefore ? branchAt() : undefined), 60000, 200);
    assert.equal(storedMessage(sha), 'Fix two README typos\n\nEdited in the editor:\nprojet → project, teh → the.\n');
  });

  it('the pull request approval opens as Markdown (title, blank line, body); the edited title and body reach the forge exactly', async () => {
    await vscode.commands.executeCommand('pushpals.openPullRequest', { taskId });
    const push = await waitFor('the push approval', async () => (await pending())[0], 60000, 100);
    assert.equal(((await vscode.commands.executeCommand('pushpals.approve', push)) as Outcome).state, 'approved', 'a push approval has no text to edit');
    assert.ok(!messageEditor());
    const prApproval = await waitFor('the pr approval', async () => (await pending())[0], 60000, 100);
    const { outcome, editor } = await approveInEditor(prApproval);
    assert.equal(editor.document.languageId, 'markdown');
    const proposed = parsePullRequest(editor.document.getText());
    assert.ok(proposed.ok, 'the proposal parses');
    assert.equal(proposed.value.title, 'Fix two README typos', 'the title defaults to the commit\'s subject');
    assert.ok(editor.document.getText().includes(`\n${SCISSORS}\n`));
    const body = '## What\n\nTwo typos, edited in VS Code.\n\n# A heading, kept (only the lines below the scissors are help)';
    await replaceAll(editor, `Fix two README typos (edited)\n\n${body}\n\n${editor.document.getText().slice(editor.document.getText().indexOf(SCISSORS))}`);
    assert.equal(await vscode.commands.executeCommand('pushpals.submitPullRequest'), true);
    assert.equal((await outcome).state, 'approved');
    const pull = await waitFor('the pull request at the forge', () => forge?.pulls[0], 60000, 200);
    assert.deepEqual([pull.title, pull.body, pull.head], ['Fix two README typos (edited)', body, `pushpals/${taskId}`]);
  });

  it('pushpals.approvals.editInEditor off: an input box, no tab; on: decided elsewhere while its editor is open (here: Deny), the editor closes and the approve ends without deciding', async () => {
    await vscode.commands.executeCommand('pushpals.openPullRequest', { taskId });
    const prApproval = await waitFor('the pr approval (an update of #3)', async () => (await pending())[0], 60000, 100);
    // The setting off: today's input boxes, no editor tab (Escape = closing the input box decides nothing).
    const cfg = vscode.workspace.getConfiguration('pushpals');
    await cfg.update('approvals.editInEditor', false, vscode.ConfigurationTarget.Global);
    try {
      const boxed = vscode.commands.executeCommand('pushpals.approve', prApproval) as Thenable<Outcome>;
      await new Promise((r) => setTimeout(r, 1000));
      assert.equal(messageEditor(), undefined, 'no editor tab with the setting off');
      await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
      assert.equal((await boxed).state, 'cancelled');
    } finally {
      await cfg.update('approvals.editInEditor', undefined, vscode.ConfigurationTarget.Global);
    }
    const { outcome, editor } = await approveInEditor(prApproval);
    assert.match(editor.document.getText(), /\(updates #3\)/);
    assert.equal(((await vscode.commands.executeCommand('pushpals.deny', prApproval)) as Outcome).state, 'denied');
    assert.equal((await outcome).state, 'cancelled');
    await waitFor('the editor tab to close', () => !messageEditor(), 10000);
    assert.equal(forge?.pulls.length, 1);
    assert.equal(forge?.pulls[0]?.title, 'Fix two README typos (edited)', 'the pull request was not changed');
  });
});
