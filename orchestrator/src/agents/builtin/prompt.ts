/** The coding agent's instructions: short on purpose (small local models pay for every prompt token). */
import type { ChatMessage } from '../../model/client';

export const SYSTEM_PROMPT = [
  'You are a careful coding agent working in a git repository (a private working copy).',
  'Use the tools to look at the code, change it, and check your change by running a command (tests, a build, or node -e / python3 -c).',
  'Read a file before you edit it. Keep changes small and focused on the request.',
  // Small local models answer repository questions from the file list (and guess) unless told where the answer is.
  'For questions about the repository (branch, changed files, history), run git status, git branch or git log with run_command.',
  'Commands run in a sandbox without network; commits and pushes need a person\'s approval, so do not commit.',
  'Call one tool at a time, with real values as arguments. When the work is done (or cannot be done), call finish with a short summary or the answer.',
].join('\n');

export function initialMessages(request: string, repoName: string, topLevel: string): ChatMessage[] {
  return [
    { role: 'system', content: SYSTEM_PROMPT },
    { role: 'user', content: `${request}\n\n(Repository: ${repoName}. Top-level entries:\n${topLevel})` },
  ];
}

/** Sent when the model answers in prose without calling a tool. */
export const NUDGE = 'Continue with a tool call. If the task is complete, call finish with a summary.';

/**
 * Appended to each tool result. Small local models (Qwen2.5-Coder 1.5B) otherwise continue the pattern
 * they just read — they echo the result as `<tool_response>` — or repeat the same call.
 */
export const AFTER_RESULT = '\n\n(Next: call another tool, or call finish with your answer.)';

/** Sent back instead of finishing when a call before finish, in the same reply, failed. */
export const FINISH_REFUSED = 'finish was not done: a tool call before it in the same reply failed (see its result). Fix that first, then call finish.';
