/**
 * The coding agent's tools: their schemas (what the model sees) and what each does. File tools work
 * on the task's working copy on the host through WorkspaceFs (no symlink escapes); run_command goes
 * through runCommandTool (policy → approval → sandbox → audit), the one path for shell commands.
 */
import { applyPatch, parsePatch } from 'diff';
import { PushPalsError } from '../../errors';
import type { ToolSpec } from '../../model/client';
import { runCommandTool, type CommandToolDeps, type LazySandbox } from '../../tools/run-command';
import type { TaskContext } from '../types';
import type { ChangeTracker } from './changes';
import type { WorkspaceFs } from './workspace-fs';

const obj = (properties: Record<string, unknown>, required: string[] = []): ToolSpec['parameters'] => ({ type: 'object', properties, required, additionalProperties: false });
const str = (description: string) => ({ type: 'string', description });
const int = (description: string) => ({ type: 'integer', description });

export const TOOL_SPECS: readonly ToolSpec[] = [
  { name: 'list_files', description: 'List files and directories (directories end with /).', parameters: obj({ path: str('directory, default "."'), depth: int('levels to descend, 1-4, default 2') }) },
  { name: 'read_file', description: 'Read a text file, optionally a range of lines (1-based, inclusive).', parameters: obj({ path: str('file path'), start_line: int('first line'), end_line: int('last line') }, ['path']) },
  { name: 'search', description: 'Search file contents (like grep -rn). Returns path:line: text.', parameters: obj({ pattern: str('text to find'), path: str('directory or file, default "."'), regex: { type: 'boolean', description: 'pattern is an extended regex' } }, ['pattern']) },
  { name: 'edit_file', description: 'Replace an exact piece of text in a file (old_text must occur exactly once), e.g. {"path": "src/a.js", "old_text": "return a - b;", "new_text": "return a + b;"}.', parameters: obj({ path: str('file path'), old_text: str('the exact text to replace'), new_text: str('the replacement') }, ['path', 'old_text', 'new_text']) },
  { name: 'apply_patch', description: 'Apply a unified diff (---/+++ headers, @@ hunks) to one or more files.', parameters: obj({ patch: str('the unified diff') }, ['patch']) },
  { name: 'write_file', description: 'Create a file or replace its whole content.', parameters: obj({ path: str('file path'), content: str('the full new content') }, ['path', 'content']) },
  { name: 'run_command', description: 'Run a shell command in the sandbox (cwd: the repository root, no network): tests, builds, git (status, branch, log, diff), e.g. {"command": "git status"}.', parameters: obj({ command: str('the command line') }, ['command']) },
  { name: 'finish', description: 'Stop: the task is done (or cannot be done). The summary says what you changed and verified, or answers the question.', parameters: obj({ summary: str('what was done') }, ['summary']) },
];

/** Offered to a plan's tickets only: the planner answers (plans/delegation.ts). */
export const ASK_PLANNER: ToolSpec = {
  name: 'ask_planner',
  description: 'Ask the planner. kind "question": a question about the plan or another ticket. kind "split": this ticket is too big; say which part to move into new tickets.',
  parameters: obj({ kind: { type: 'string', enum: ['question', 'split'], description: 'question or split' }, text: str('the question, or what to split off') }, ['kind', 'text']),
};

export interface ToolEnv {
  ctx: TaskContext;
  wfs: WorkspaceFs;
  changes: ChangeTracker;
  sandbox: LazySandbox;
  deps: CommandToolDeps;
  signal: AbortSignal;
  /** The planner, for a plan's ticket (ask_planner); absent otherwise. */
  askPlanner?: (kind: 'question' | 'split', text: string) => Promise<{ ok: boolean; result: string }>;
}

export interface ToolOutcome {
  ok: boolean;
  /** What the model reads back (before truncation). */
  output: string;
  /** finish: the summary. */
  finish?: string;
  /** run_command: how it ended (the agent's failure code when it is refused). */
  command?: { ran: boolean; exitCode?: number; timedOut?: boolean };
}

const fail = (msg: string): never => {
  throw new PushPalsError('invalid_message', msg);
};
const argStr = (a: Record<string, unknown>, k: string, required = true): string => {
  const v = a[k];
  if (v === undefined && !required) return '';
  if (typeof v !== 'string') return fail(`argument "${k}" must be a string`);
  return v;
};
const argInt = (a: Record<string, unknown>, k: string): number | undefined => {
  const v = a[k];
  if (v === undefined || v === null) return undefined;
  const n = typeof v === 'string' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n)) return fail(`argument "${k}" must be an integer`);
  return n;
};

const MAX_READ_LINES = 400;
/** edit_file whose old_text is not in the file: files up to this size are shown in the error. */
const SHOW_FILE_ON_MISS_CHARS = 2000;

/**
 * Arguments that are the tool's parameter schema instead of values: small models (Qwen2.5-Coder 1.5B)
 * copy the `{"type": "object", "properties": ...}` they were shown. The error shows the call to make.
 */
export function schemaEcho(name: string, args: Record<string, unknown>): string | undefined {
  const spec = TOOL_SPECS.find((t) => t.name === name);
  if (!spec || args.type !== 'object' || typeof args.properties !== 'object' || 'properties' in spec.parameters.properties) return undefined;
  const keys = spec.parameters.required?.length ? spec.parameters.required : Object.keys(spec.parameters.properties).slice(0, 1);
  const example = Object.fromEntries(keys.map((k) => [k, `<${(spec.parameters.properties[k] as { description?: string }).description ?? k}>`]));
  return `these arguments are the tool's parameter schema, not values. Call it with values, like {"name": "${name}", "arguments": ${JSON.stringify(example)}}`;
}

/** Runs one tool. Errors in the arguments or the files become `ok: false` for the model to fix. */
export async function runTool(env: ToolEnv, name: string, args: Record<string, unknown>, key: string): Promise<ToolOutcome> {
  const echo = schemaEcho(name, args);
  if (echo) return fail(echo);
  switch (name) {
    case 'list_files': {
      const depth = Math.min(4, Math.max(1, argInt(args, 'depth') ?? 2));
      const { entries, truncated } = env.wfs.list(argStr(args, 'path', false) || '.', depth, 500);
      return { ok: true, output: entries.join('\n') + (truncated ? '\n[more entries not shown: list a subdirectory]' : '') || '(empty directory)' };
    }
    case 'read_file': {
      const { rel, text } = env.wfs.readText(argStr(args, 'path'));
      const lines = text.split('\n');
      if (lines.at(-1) === '') lines.pop();
      const start = Math.max(1, argInt(args, 'start_line') ?? 1);
      const end = Math.min(lines.length, argInt(args, 'end_line') ?? start + MAX_READ_LINES - 1, start + MAX_READ_LINES - 1);
      if (lines.length === 0) return { ok: true, output: `${rel} is empty` };
      if (start > lines.length) return fail(`${rel} has ${lines.length} lines; start_line ${start} is past the end`);
      const more = end < lines.length ? `\n[lines ${end + 1}-${lines.length} not shown: read them with start_line]` : '';
      return { ok: true, output: `${rel} (lines ${start}-${end} of ${lines.length}):\n${lines.slice(start - 1, end).join('\n')}${more}` };
    }
    case 'search': {
      const pattern = argStr(args, 'pattern');
      if (!pattern || pattern.length > 500) return fail('pattern must be 1-500 characters');
      const { matches, truncated } = await env.wfs.search(argStr(args, 'path', false) || '.', pattern, { regex: args.regex === true, limit: 100, signal: env.signal });
      return { ok: true, output: matches.length ? matches.join('\n') + (truncated ? '\n[more matches not shown: narrow the search]' : '') : 'no matches' };
    }
    case 'edit_file': {
      const path = argStr(args, 'path');
      const oldText = argStr(args, 'old_text');
      const newText = argStr(args, 'new_text');
      if (!oldText) return fail('old_text must not be empty (use write_file to create a file)');
      const { rel, text } = env.wfs.readText(path);
      const count = text.split(oldText).length - 1;
      if (count === 0) {
        // A short file comes back whole: the model copies old_text from it instead of guessing again.
        const shown = text.length <= SHOW_FILE_ON_MISS_CHARS ? ` It contains:\n${text}` : ' Read the file again and copy the text exactly.';
        return fail(`old_text was not found in ${rel}.${shown}`);
      }
      if (count > 1) return fail(`old_text occurs ${count} times in ${rel}: include more context so it occurs once`);
      env.changes.remember(rel, text);
      env.wfs.writeText(rel, text.replace(oldText, () => newText));
      return { ok: true, output: `edited ${rel}` };
    }
    case 'apply_patch':
      return applyUnifiedDiff(env, argStr(args, 'patch'));
    case 'write_file': {
      const path = argStr(args, 'path');
      const content = argStr(args, 'content');
      const before = env.wfs.readIfExists(path);
      const rel = env.wfs.normalise(path);
      env.changes.remember(rel, before);
      env.wfs.writeText(rel, content);
      return { ok: true, output: `${before === undefined ? 'created' : 'wrote'} ${rel} (${content.split('\n').length} lines)` };
    }
    case 'run_command': {
      const command = argStr(args, 'command').trim();
      if (!command) return fail('command must not be empty');
      const r = await runCommandTool({ ...env.ctx, signal: env.signal }, env.sandbox, command, env.deps, { key });
      if (!r.ran || !r.result) return { ok: false, output: `not run: ${r.reason}`, command: { ran: false } };
      const res = r.result;
      const parts = [`exit code ${res.exitCode}${res.timedOut ? ' (killed: timeout)' : ''}`];
      if (res.stdout) parts.push(`stdout:\n${res.stdout}`);
      if (res.stderr) parts.push(`stderr:\n${res.stderr}`);
      return { ok: res.exitCode === 0 && !res.timedOut, output: parts.join('\n'), command: { ran: true, exitCode: res.exitCode, timedOut: res.timedOut } };
    }
    case 'finish':
      return { ok: true, output: 'finished', finish: argStr(args, 'summary') || 'done' };
    case 'ask_planner': {
      if (!env.askPlanner) break;
      const kind = argStr(args, 'kind');
      if (kind !== 'question' && kind !== 'split') return fail('argument "kind" must be "question" or "split"');
      const text = argStr(args, 'text').trim();
      if (!text) return fail('argument "text" must not be empty');
      const r = await env.askPlanner(kind, text);
      return { ok: r.ok, output: r.result };
    }
  }
  return fail(`there is no tool named "${name}"; the tools are: ${[...TOOL_SPECS, ...(env.askPlanner ? [ASK_PLANNER] : [])].map((t) => t.name).join(', ')}`);
}

const stripPrefix = (f: string | undefined): string | undefined => (f === undefined || f === '/dev/null' ? undefined : f.replace(/^[ab]\//, '').split('\t')[0]);

/** Applies every file of a unified diff, or none: all hunks are checked before anything is written. */
function applyUnifiedDiff(env: ToolEnv, patch: string): ToolOutcome {
  const files = parsePatch(patch);
  if (!files.length || files.every((f) => f.hunks.length === 0)) return fail('the patch holds no hunks (expected ---/+++ headers and @@ hunks)');
  const planned: Array<{ rel: string; before: string | undefined; after: string | undefined }> = [];
  for (const f of files) {
    const oldPath = stripPrefix(f.oldFileName);
    const newPath = stripPrefix(f.newFileName);
    const path = newPath ?? oldPath;
    if (!path) return fail('a file in the patch has no name');
    const rel = env.wfs.normalise(path);
    const before = oldPath ? env.wfs.readIfExists(oldPath) : undefined;
    if (oldPath && before === undefined) return fail(`${rel} does not exist: the patch expects it`);
    const result = applyPatch(before ?? '', f);
    if (result === false) return fail(`the patch does not apply to ${rel}: its context lines differ from the file; read the file and try again (or use edit_file)`);
    planned.push({ rel, before, after: newPath ? result : undefined });
  }
  for (const p of planned) {
    env.changes.remember(p.rel, p.before);
    if (p.after === undefined) env.wfs.delete(p.rel);
    else env.wfs.writeText(p.rel, p.after);
  }
  return { ok: true, output: `patched ${planned.map((p) => p.rel).join(', ')}` };
}
