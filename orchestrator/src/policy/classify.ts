/**
 * The command policy engine's entry point: parses a command line with a real bash parser (mvdan-sh)
 * and classifies every simple command in it as allow / ask / deny; the overall verdict is the most
 * severe part. The work is split by job — see the file map in README.md.
 */
import * as path from 'node:path';
import { WorkspacePaths } from './paths';
import { EMPTY_POLICY, type Policy } from './policy';
import { DEFAULT_MAX_COMMAND_BYTES, tooLong } from './unjudged';
import { summarise, type Classification } from './verdicts';
import { ScriptWalker } from './walker';

export interface ClassifyContext {
  /** The working copy's path inside the sandbox. Default '/workspace'. */
  workspace?: string;
  /** Commit, push and PR creation were granted for this repo/task. */
  autoCommit?: boolean;
  /**
   * The directory the line starts in, when not the workspace (a shell that persists across
   * commands, agents/openhands/shell-cwd.ts); null: not known, so relative paths are unknown too.
   */
  cwd?: string | null;
  /**
   * The working copy's directory on this host, mounted at `workspace` in the sandbox. Given, the
   * working copy's symlinks are followed as the sandbox will (`cd link` where link -> .git is a cd
   * into .git; see host-links.ts); absent, paths are judged by their text alone.
   */
  hostWorkspace?: string;
  /** Longer lines (UTF-8 bytes) are not parsed: `ask` (unjudged.ts). Default DEFAULT_MAX_COMMAND_BYTES. */
  maxCommandBytes?: number;
}

/**
 * Classifies a shell command line, synchronously: the orchestrator calls it through the worker pool
 * (classifier-pool.ts), which bounds its time. Never throws: a parse error is a `deny` with the reason.
 *
 * @param command the command line as the agent wants to run it (bash syntax)
 * @param policy  the repo's policy (loadPolicy); rules override the defaults except structural checks
 * @param ctx     workspace path inside the sandbox (default /workspace) and the auto-commit grant
 */
export function classifyCommand(command: string, policy: Policy = EMPTY_POLICY, ctx: ClassifyContext = {}): Classification {
  const long = tooLong(command, ctx.maxCommandBytes ?? DEFAULT_MAX_COMMAND_BYTES);
  if (long) return long;
  const ws = path.posix.normalize(ctx.workspace ?? '/workspace').replace(/\/+$/, '') || '/';
  const paths = new WorkspacePaths(ws, undefined, ctx.hostWorkspace);
  if (ctx.cwd !== undefined) paths.chdir(ctx.cwd);
  const walker = new ScriptWalker(paths, ctx.autoCommit === true || policy.autoCommit === true, policy);
  walker.script(command, 0, [command]);
  return summarise(walker.parts);
}
