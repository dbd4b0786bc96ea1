/** The coding agent's instructions: short on purpose (small local models pay for every prompt token). */
import type { ChatMessage } from '../../model/client';

export const SYSTEM_PROMPT = [
  'You are a careful coding agent working in a git repository (a private working copy).',
  'Use the tools to look at the code, change it, and check your change by running a command (tests, a build, or node -e / python3 -c).',
  'Read a file before you edit it. Keep changes small and focused on the request.',
  'Commands run in a sandbox without network; commits and pushes need a person\'s approval, so do not commit.',
  'When the work is done (or cannot be done), call finish with a short summary of what you changed and how you checked it.',
].join('\n');

export function initialMessages(request: string, repoName: string, topLevel: string): ChatMessage[] {
  return [
    { role: 'system', content: SYSTEM_PROMPT },
    { role: 'user', content: `${request}\n\n(Repository: ${repoName}. Top-level entries:\n${topLevel})` },
  ];
}

/** Sent when the model answers in prose without calling a tool. */
export const NUDGE = 'Continue with a tool call. If the task is complete, call finish with a summary.';
