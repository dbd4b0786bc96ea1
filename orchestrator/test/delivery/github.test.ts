/**
 * Pull requests through the real @octokit/rest against a GitHub-like server over real HTTP
 * (test/helpers/fake-github.ts): the requests octokit sends for the lookup, the creation and the update,
 * and each forge failure as one typed PushPalsError that says what to fix, the token never in it.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { MAX_PR_BODY_LENGTH, MAX_PR_TITLE_LENGTH, pullRequestTextProblem } from '@pushpals/protocol';
import { GitHubPulls } from '../../src/delivery/github';
import { PushPalsError } from '../../src/errors';
import { FakeGitHub } from '../helpers/fake-github';

const TOKEN = 'ghp_unitForgeToken0123456789abcdefABCD';
const ORIGIN = { source: 'file /data/forge-tokens/r1', fix: 'store a valid one with "pushpals forge token set --repo widgets"', repoName: 'widgets' };

/** The PushPalsError a call fails with (the assertion fails when it does not fail). */
async function failure(p: Promise<unknown>): Promise<PushPalsError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof PushPalsError, String(e));
    assert.equal(e.message.includes(TOKEN), false, 'the token is not in the message');
    return e;
  }
  assert.fail('it did not fail');
}
const kindOf = (e: PushPalsError): unknown => (e.details?.forge as { kind?: string } | undefined)?.kind;

describe('delivery: pull requests through octokit against a GitHub-like server (real HTTP)', function () {
  let gh: FakeGitHub;
  let pulls: GitHubPulls;

  beforeEach(async function () {
    gh = await FakeGitHub.start({ owner: 'acme', repo: 'widgets', token: TOKEN, firstNumber: 7 });
    pulls = await GitHubPulls.connect({ owner: 'acme', repo: 'widgets', apiBaseUrl: gh.url }, TOKEN, ORIGIN);
  });
  afterEach(() => gh.close());

  it('lookup → none; create; lookup → the open one; update sends title and body only; a closed one is told apart', async function () {
    assert.deepEqual(await pulls.ofBranch('pushpals/t1'), {});
    const opened = await pulls.create({ head: 'pushpals/t1', base: 'main', title: 'First', body: 'Body one' });
    assert.deepEqual(opened, { number: 7, url: gh.htmlUrl(7), state: 'open', merged: false, base: 'main', title: 'First' });
    const found = await pulls.ofBranch('pushpals/t1');
    assert.equal(found.open?.number, 7);
    const updated = await pulls.update(7, { title: 'Second', body: 'Body two' });
    assert.equal(updated.title, 'Second');

    const [list, post, , patch] = gh.requests;
    assert.deepEqual([list?.method, list?.path, list?.query], ['GET', '/repos/acme/widgets/pulls', { head: 'acme:pushpals/t1', state: 'all', sort: 'created', direction: 'desc', per_page: '100' }]);
    assert.equal(list?.headers.authorization, `token ${TOKEN}`);
    assert.deepEqual([post?.method, post?.path, post?.body], ['POST', '/repos/acme/widgets/pulls', { head: 'pushpals/t1', base: 'main', title: 'First', body: 'Body one' }]);
    assert.deepEqual([patch?.method, patch?.path, patch?.body], ['PATCH', '/repos/acme/widgets/pulls/7', { title: 'Second', body: 'Body two' }]);
    assert.deepEqual([gh.pulls[0]?.title, gh.pulls[0]?.body], ['Second', 'Body two']);

    gh.closePull(7, true);
    const after = await pulls.ofBranch('pushpals/t1');
    assert.equal(after.open, undefined);
    assert.deepEqual([after.closed?.number, after.closed?.merged], [7, true]);
    assert.deepEqual(await pulls.ofBranch('pushpals/other'), {}, 'another branch\'s pull requests are not ours');
  });

  it('401: forbidden, naming where the token comes from and how to replace it', async function () {
    const bad = await GitHubPulls.connect({ owner: 'acme', repo: 'widgets', apiBaseUrl: gh.url }, 'ghp_wrong', ORIGIN);
    const e = await failure(bad.ofBranch('pushpals/t1'));
    assert.equal(e.code, 'forbidden');
    assert.equal(kindOf(e), 'bad_token');
    assert.match(e.message, /refused the token \(file \/data\/forge-tokens\/r1\) with 401 Bad credentials: store a valid one with "pushpals forge token set --repo widgets"/);
  });

  it('403: forbidden (the access the token needs); a 403 rate limit: rate_limited', async function () {
    gh.failNext(403, { message: 'Resource not accessible by personal access token' });
    const e = await failure(pulls.create({ head: 'pushpals/t1', base: 'main', title: 't', body: 'b' }));
    assert.deepEqual([e.code, kindOf(e)], ['forbidden', 'no_permission']);
    assert.match(e.message, /opening the pull request on acme\/widgets at .*403 Resource not accessible by personal access token.*Pull requests: Read and write/);
    gh.failNext(403, { message: 'API rate limit exceeded for user ID 1.' });
    const r = await failure(pulls.ofBranch('pushpals/t1'));
    assert.deepEqual([r.code, kindOf(r)], ['rate_limited', 'rate_limited']);
  });

  it('404: not_found, the repository or the token\'s access, and the config keys to check', async function () {
    const elsewhere = await GitHubPulls.connect({ owner: 'acme', repo: 'nope', apiBaseUrl: gh.url }, TOKEN, ORIGIN);
    const e = await failure(elsewhere.ofBranch('pushpals/t1'));
    assert.deepEqual([e.code, kindOf(e)], ['not_found', 'not_found']);
    assert.match(e.message, /acme\/nope at http:\/\/127\.0\.0\.1:\d+: 404 Not Found: the repository does not exist there, or the token \(file \/data\/forge-tokens\/r1\) cannot see it; check forge\.repos\.widgets\.repository and apiBaseUrl/);
  });

  it('422: GitHub\'s own message passed through; "already exists" told apart', async function () {
    gh.failNext(422, { message: 'Validation Failed', errors: [{ resource: 'PullRequest', code: 'custom', message: 'No commits between main and pushpals/t1' }] });
    const e = await failure(pulls.create({ head: 'pushpals/t1', base: 'main', title: 't', body: 'b' }));
    assert.deepEqual([e.code, kindOf(e)], ['conflict', 'rejected']);
    assert.match(e.message, /the forge refused it \(422 Validation Failed: No commits between main and pushpals\/t1\)/);
    await pulls.create({ head: 'pushpals/t1', base: 'main', title: 't', body: 'b' });
    const again = await failure(pulls.create({ head: 'pushpals/t1', base: 'main', title: 't', body: 'b' }));
    assert.deepEqual([again.code, kindOf(again)], ['conflict', 'exists']);
  });

  it('no answer: a dropped connection or a closed port is command_failed "could not be reached", naming the config key', async function () {
    gh.failNext('drop');
    const dropped = await failure(pulls.ofBranch('pushpals/t1'));
    assert.deepEqual([dropped.code, kindOf(dropped)], ['command_failed', 'unreachable']);
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const gone = await GitHubPulls.connect({ owner: 'acme', repo: 'widgets', apiBaseUrl: `http://127.0.0.1:${port}` }, TOKEN, ORIGIN);
    const e = await failure(gone.ofBranch('pushpals/t1'));
    assert.deepEqual([e.code, kindOf(e)], ['command_failed', 'unreachable']);
    assert.match(e.message, /could not be reached \(.*ECONNREFUSED.*\); check forge\.repos\.widgets\.apiBaseUrl/);
    assert.equal(e.details?.forge && (e.details.forge as { status: unknown }).status, null);
  });

  it('GitHub\'s limits: a title over 256 or with a line break, a body over 65536, an empty title', function () {
    assert.equal(pullRequestTextProblem({ title: 'x'.repeat(MAX_PR_TITLE_LENGTH), body: 'y'.repeat(MAX_PR_BODY_LENGTH) }), undefined);
    assert.match(pullRequestTextProblem({ title: 'x'.repeat(MAX_PR_TITLE_LENGTH + 1) }) ?? '', /at most 256 characters on GitHub; this one has 257/);
    assert.match(pullRequestTextProblem({ body: 'y'.repeat(MAX_PR_BODY_LENGTH + 1) }) ?? '', /body is at most 65536 characters on GitHub; this one has 65537/);
    assert.match(pullRequestTextProblem({ title: 'a\nb' }) ?? '', /one line/);
    assert.match(pullRequestTextProblem({ title: '  ' }) ?? '', /needs a title/);
    assert.equal(pullRequestTextProblem({ body: '' }), undefined, 'an empty body is fine');
  });
});
