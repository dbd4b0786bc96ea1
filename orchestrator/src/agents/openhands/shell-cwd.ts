/**
 * Where OpenHands' terminal is, per conversation. The terminal tool keeps one bash shell across
 * commands, so `cd /etc` in one action decides where the next action's relative paths resolve.
 * The broker judges each terminal command against every directory the shell may be in
 * (tool-judge.ts takes the worst verdict) — the workspace always among them, since a terminal that
 * died is replaced by one that starts there, so the tracking can only make a verdict stricter than
 * judging from the workspace, never laxer.
 *
 * The directories come from the commands the broker let through (cd-effect.ts). The agent server's
 * observation (its `metadata.working_dir`, read from the shell's prompt) is trusted only where it
 * cannot be forged: it never widens what is allowed except after a lone `cd <dir>` (which prints
 * nothing the agent chooses besides bash's error) while nothing has touched the prompt machinery;
 * a directory outside the predicted ones makes the place unknown.
 */
import * as path from 'node:path';
import { cdEffect, type ShellDirs } from './cd-effect';

interface Predicted {
  dirs: ReadonlySet<string> | null;
  loneCd: boolean;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** The working directory an ObservationEvent's observation reports (terminal metadata), if any. */
export function observedWorkingDir(observation: unknown): string | undefined {
  const meta = typeof observation === 'object' && observation !== null ? (observation as { metadata?: unknown }).metadata : undefined;
  const dir = typeof meta === 'object' && meta !== null ? (meta as { working_dir?: unknown }).working_dir : undefined;
  return typeof dir === 'string' && dir.startsWith('/') ? path.posix.resolve(dir) : undefined;
}

export class ShellCwd {
  private state: ShellDirs;
  private readonly functions = new Set<string>();
  /** PROMPT_COMMAND, a trap, CDPATH, autocd... were touched: the shell may move by itself from now on. */
  private volatile = false;
  private readonly predicted = new Map<string, Predicted>();
  private lastCall: string | undefined;

  constructor(readonly workspace: string) {
    this.state = { dirs: new Set([workspace]), likely: workspace };
  }

  /** Where the shell is if every cd worked (for display); undefined: not known. */
  get current(): string | undefined {
    return this.state.likely;
  }

  /**
   * The directories to judge a terminal call with, the likely one first; null: unknown. Input to a
   * running program (`is_input`) goes wherever that program is: unknown. `reset` starts a new
   * terminal in the workspace.
   */
  judgeDirs(args: Record<string, unknown>): readonly string[] | null {
    if (args.is_input === true) return null;
    if (args.reset === true) return [this.workspace];
    const { dirs, likely } = this.state;
    if (!dirs) return null;
    return [...new Set([...(likely ? [likely] : []), ...dirs])];
  }

  /** A tool call the broker let through (in order, before it runs): the terminal's place after it. */
  ran(callId: string, tool: string, args: Record<string, unknown>): void {
    if (tool !== 'terminal') return;
    const command = str(args.command);
    if (!command.trim()) return; // only reads the terminal's output
    const from: ShellDirs = args.reset === true ? { dirs: new Set([this.workspace]), likely: this.workspace } : this.state;
    const e = cdEffect(command, from, this.workspace, this.functions);
    if (e.volatile) this.volatile = true;
    this.state = this.volatile ? { dirs: null, likely: undefined } : { dirs: e.dirs, likely: e.likely };
    this.predicted.set(callId, { dirs: this.state.dirs, loneCd: e.loneCd && args.is_input !== true });
    this.lastCall = callId;
  }

  /** The observation of a call: a directory the prediction did not allow for → unknown; a lone cd's confirmed target → known. */
  observed(callId: string, workingDir: string | undefined): void {
    const p = this.predicted.get(callId);
    if (!p || workingDir === undefined) return;
    this.predicted.delete(callId);
    if (p.dirs && !p.dirs.has(workingDir)) {
      this.state = { dirs: null, likely: undefined }; // something moved the shell that was not seen
      return;
    }
    if (callId !== this.lastCall || this.volatile) return;
    if (p.loneCd) this.state = { dirs: new Set([this.workspace, workingDir]), likely: workingDir };
    else if (this.state.dirs) this.state = { dirs: this.state.dirs, likely: workingDir }; // shown only: every candidate is still judged
  }
}
