/**
 * The protocol's size limits and id syntax as plain values: the schemas are built from them, and code
 * that clips or checks a field before it goes on the wire (the orchestrator, clients) imports them
 * instead of repeating the numbers. No TypeBox here, so the client entry can export it.
 */

/** An opaque identifier (task, approval, session, command, ...): 1..ID_MAX_LENGTH of these characters. */
export const ID_PATTERN = '^[A-Za-z0-9_.:-]+$';
export const ID_MAX_LENGTH = 128;
const ID_RE = new RegExp(`^[A-Za-z0-9_.:-]{1,${ID_MAX_LENGTH}}$`);

/** True when `value` is a well-formed protocol id (what the `Id` schema accepts). */
export function isId(value: string): boolean {
  return ID_RE.test(value);
}

/** Short human-readable text: error messages, progress lines, reasons for a decision or a refusal. */
export const MAX_MESSAGE_LENGTH = 4096;
/** Titles of tasks, approvals, suggestions and pull requests. */
export const MAX_TITLE_LENGTH = 500;
/** Free text by default: chat messages, task requests, summaries, commands. */
export const MAX_TEXT_LENGTH = 65536;
/** A command's stdout, stderr or combined output in a `tool_result` (and the audit trail). */
export const MAX_OUTPUT_LENGTH = 1024 * 1024;
/** A diff or a patch. */
export const MAX_PATCH_LENGTH = 10 * 1024 * 1024;

/** GitHub's limits for a pull request's title and body (characters): checked before anything is sent. */
export const MAX_PR_TITLE_LENGTH = 256;
export const MAX_PR_BODY_LENGTH = 65536;

/**
 * What is wrong with a pull request's title or body for GitHub (undefined: nothing). One wording for
 * the orchestrator's errors and the clients' input checks.
 */
export function pullRequestTextProblem(text: { title?: string | undefined; body?: string | undefined }): string | undefined {
  if (text.title !== undefined && !text.title.trim()) return 'a pull request needs a title';
  if (text.title !== undefined && /[\r\n]/.test(text.title)) return 'a pull request title is one line';
  if (text.title !== undefined && text.title.length > MAX_PR_TITLE_LENGTH) return `a pull request title is at most ${MAX_PR_TITLE_LENGTH} characters on GitHub; this one has ${text.title.length}`;
  if (text.body !== undefined && text.body.length > MAX_PR_BODY_LENGTH) return `a pull request body is at most ${MAX_PR_BODY_LENGTH} characters on GitHub; this one has ${text.body.length}`;
  return undefined;
}
