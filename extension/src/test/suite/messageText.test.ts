/**
 * The approval editors' text, read back like git and `gh pr create` do: comment lines and surplus blank
 * lines of a commit message go, a proposal with a `#` line gets `;` as its comment character, a pull
 * request's help sits below the scissors line so Markdown headings stay, and GitHub's limits are checked.
 */
import * as assert from 'node:assert/strict';
import { MAX_PR_BODY_LENGTH, MAX_PR_TITLE_LENGTH } from '@pushpals/protocol/client';
import { SCISSORS, commitTemplate, parseCommitMessage, parsePullRequest, pullRequestTemplate } from '../../messageText';

describe('approval editor text', () => {
  it('a commit message: the template reads back as the proposal; comments, trailing spaces and extra blank lines go; empty is refused', () => {
    const t = commitTemplate('Subject\n\nBody line', { what: 'Commit 2 hunks to pushpals/t1' });
    assert.equal(t.commentChar, '#');
    assert.deepEqual(parseCommitMessage(t.text, t.commentChar), { ok: true, value: 'Subject\n\nBody line' });
    assert.deepEqual(parseCommitMessage('\n\nSubject  \n\n\n\nBody\n# note\n\n', '#'), { ok: true, value: 'Subject\n\nBody' });
    const empty = parseCommitMessage('# only\n\n#comments\n', '#');
    assert.equal(empty.ok, false);
  });

  it('a proposal with a line starting with # keeps it: the comment character becomes ;', () => {
    const t = commitTemplate('Fix the parser\n\n#42 was the report', { what: 'Commit' });
    assert.equal(t.commentChar, ';');
    assert.match(t.text, /^; The commit message for: Commit$/m);
    assert.deepEqual(parseCommitMessage(t.text, t.commentChar), { ok: true, value: 'Fix the parser\n\n#42 was the report' });
  });

  it('a pull request: title, blank line, body; headings kept, everything below the scissors ignored; the limits checked', () => {
    const text = pullRequestTemplate('The title', '## Checks\n\n- npm test: passed\n', { what: 'Open a pull request on acme/x' });
    assert.ok(text.includes(`\n${SCISSORS}\n`));
    assert.deepEqual(parsePullRequest(text), { ok: true, value: { title: 'The title', body: '## Checks\n\n- npm test: passed' } });
    assert.deepEqual(parsePullRequest('\n  Only a title  \n'), { ok: true, value: { title: 'Only a title', body: '' } });
    assert.match((parsePullRequest('Title\nbody right below') as { problem: string }).problem, /blank line/);
    assert.match((parsePullRequest(`\n\n${SCISSORS}\nTitle`) as { problem: string }).problem, /needs a title/);
    assert.match((parsePullRequest(`${'t'.repeat(MAX_PR_TITLE_LENGTH + 1)}\n\nbody`) as { problem: string }).problem, /at most 256 characters/);
    assert.equal(parsePullRequest(`${'t'.repeat(MAX_PR_TITLE_LENGTH)}\n\nbody`).ok, true);
    assert.match((parsePullRequest(`Title\n\n${'b'.repeat(MAX_PR_BODY_LENGTH + 1)}`) as { problem: string }).problem, /body is at most/);
  });
});
