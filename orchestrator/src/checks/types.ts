/**
 * Checks as evidence: the repository's own test/lint/typecheck/build commands, run by the orchestrator
 * on exactly one tree (a commit's), in a clean sandbox, with their outcome bound to that tree. Types only.
 */
import type { EventPayload } from '@pushpals/protocol';

/** The runner whose output format a check's summary is parsed with. */
export type RunnerKind = 'mocha' | 'jest' | 'vitest' | 'node-test' | 'pytest' | 'go' | 'cargo' | 'tap';

/** One check the repository has (detected from its manifests, or configured for it). */
export interface CheckSpec {
  /** Unique per repository: "test", "lint", "typecheck", "build", or a configured name. */
  name: string;
  /** A shell command, run in /workspace of a sandbox without network. */
  command: string;
  /** Where it came from, for people: "package.json scripts.test", "repo settings". */
  source: string;
  runner?: RunnerKind;
}

export type CheckCounts = NonNullable<EventPayload<'check_result'>['counts']>;
