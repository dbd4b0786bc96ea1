/**
 * The text of the approval message editors, without VS Code: what the editor is pre-filled with and what
 * is read back on submit. A commit message is cleaned like `git commit --cleanup=strip` (comment lines
 * removed, trailing whitespace and surplus blank lines dropped); a pull request is `gh pr create`'s
 * layout (the title, a blank line, the body) with its help below git's scissors line, because a
 * Markdown body's headings start with `#` and must survive.
 */
import { MAX_PR_TITLE_LENGTH, pullRequestTextProblem } from '@pushpals/protocol/client';

/** git's scissors line: it and everything below it is ignored. */
export const SCISSORS = '# ------------------------ >8 ------------------------';

/** The result of reading an edited text back: the value, or why it cannot be sent. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; problem: string };

/**
 * The comment character of a commit message: `#` like git, unless a line of the proposal itself starts
 * with `#` (then `;`, as git's `core.commentChar=auto` does) so no line of it is taken for a comment.
 */
export function commentCharFor(message: string): '#' | ';' {
  return message.split('\n').some((l) => l.startsWith('#')) ? ';' : '#';
}

/** git's strip: no comment lines, no trailing whitespace, no leading/trailing/repeated blank lines. */
export function stripCommitMessage(text: string, commentChar: string): string {
  const cut = text.split('\n').findIndex((l) => l.trimEnd() === SCISSORS.replace('#', commentChar));
  const lines = (cut >= 0 ? text.split('\n').slice(0, cut) : text.split('\n')).filter((l) => !l.startsWith(commentChar)).map((l) => l.replace(/\s+$/, ''));
  const out: string[] = [];
  for (const l of lines) if (l !== '' || (out.length > 0 && out.at(-1) !== '')) out.push(l);
  while (out.at(-1) === '') out.pop();
  return out.join('\n');
}

export interface CommitTemplateInfo {
  /** What is committed: the approval's title. */
  what: string;
}

export function commitTemplate(message: string, info: CommitTemplateInfo): { text: string; commentChar: '#' | ';' } {
  const c = commentCharFor(message);
  // Short lines, like git's own template: the help is read beside the message, not scrolled to.
  const help = [
    `The commit message for: ${info.what}`,
    `Lines starting with '${c}' are removed; an empty message is refused.`,
    'The first line is the subject; leave a blank line before the body.',
    'Commit: Ctrl+Enter (Cmd+Enter on macOS), or "Commit" above.',
    'Close this tab to decide nothing: the approval stays pending.',
  ];
  return { text: `${message.replace(/\s+$/, '')}\n\n${help.map((h) => `${c} ${h}`).join('\n')}\n`, commentChar: c };
}

export function parseCommitMessage(text: string, commentChar: string): Parsed<string> {
  const message = stripCommitMessage(text, commentChar);
  return message ? { ok: true, value: message } : { ok: false, problem: 'A commit needs a message: the message is empty once the comment lines are removed.' };
}

export interface PullRequestTemplateInfo {
  /** e.g. "Open a pull request on acme/widgets" */
  what: string;
  /** The open pull request this one updates. */
  number?: number;
}

export function pullRequestTemplate(title: string, body: string, info: PullRequestTemplateInfo): string {
  const help = [
    SCISSORS,
    '# Do not modify or remove the line above: everything below it is ignored.',
    `# ${info.what}${info.number ? ` (updates #${info.number})` : ''}`,
    `# The first line is the title (at most ${MAX_PR_TITLE_LENGTH} characters),`,
    '# then a blank line, then the body (Markdown).',
    `# ${info.number ? 'Update' : 'Open'} it: Ctrl+Enter (Cmd+Enter on macOS), or "${info.number ? 'Update PR' : 'Open PR'}" above.`,
    '# Close this tab to decide nothing: the approval stays pending.',
  ];
  return `${title}\n\n${body.replace(/\s+$/, '')}\n\n${help.join('\n')}\n`;
}

/** The body as the editor gives it back (trailing whitespace dropped): also applied to the proposal to tell an edit. */
export const normalizeBody = (body: string): string => body.replace(/\s+$/, '');

export function parsePullRequest(text: string): Parsed<{ title: string; body: string }> {
  const lines = text.split('\n');
  const cut = lines.findIndex((l) => l.trimEnd() === SCISSORS);
  const kept = cut >= 0 ? lines.slice(0, cut) : lines;
  const first = kept.findIndex((l) => l.trim() !== '');
  if (first < 0) return { ok: false, problem: 'A pull request needs a title: the first line is empty.' };
  const title = (kept[first] as string).trim();
  const rest = kept.slice(first + 1);
  if (rest.length && rest[0]?.trim() !== '') return { ok: false, problem: 'The title is the first line only: leave a blank line between the title and the body.' };
  const body = normalizeBody(rest.join('\n').replace(/^\s*\n/, ''));
  const problem = pullRequestTextProblem({ title, body });
  return problem ? { ok: false, problem: `${problem[0]?.toUpperCase()}${problem.slice(1)}.` } : { ok: true, value: { title, body } };
}
