/**
 * Verdicts for a line the classifier did not judge: too long to parse, out of time, or the
 * classifier failed. Never `allow`: a person decides (or, past what a person can be shown, nobody).
 * Kept apart from classify.ts so the worker pool can use it without loading the shell parser.
 */
import { MAX_TEXT_LENGTH } from '@pushpals/protocol';
import type { Verdict } from './policy';
import type { Classification } from './verdicts';

/** The longest line parsed at all (config policy.maxCommandBytes): parser time grows with it. */
export const DEFAULT_MAX_COMMAND_BYTES = 32 * 1024;
/** The longest a line may be and still be shown to a person in an approval (config upper bound). */
export const MAX_SHOWN_COMMAND_BYTES = MAX_TEXT_LENGTH;

export function unjudged(command: string, reason: string, verdict: Verdict = 'ask'): Classification {
  const argv = [command.length > 200 ? `${command.slice(0, 200)}…` : command];
  return { verdict, risk: 'high', reason, needsNetwork: false, parts: [{ argv, verdict, reason }], unjudged: true };
}

/** A line longer than `maxBytes` (UTF-8) is not parsed: `ask`, or `deny` when it is too long to show a person. */
export function tooLong(command: string, maxBytes: number): Classification | undefined {
  if (command.length <= maxBytes / 3) return undefined; // cheap: a UTF-8 character is at most 3 bytes per UTF-16 unit
  const bytes = Buffer.byteLength(command, 'utf8');
  if (bytes <= maxBytes) return undefined;
  if (bytes > MAX_SHOWN_COMMAND_BYTES) return unjudged(command, `the command is ${bytes} bytes long, more than a person can be shown in an approval (${MAX_SHOWN_COMMAND_BYTES}); it is not run`, 'deny');
  return unjudged(command, `the command is ${bytes} bytes long, more than the ${maxBytes} the policy parses (policy.maxCommandBytes): a person decides`);
}
