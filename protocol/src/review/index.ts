/**
 * Hunk-level review of a `diff_ready`, shared by the orchestrator (which builds the commit of the accepted
 * hunks) and the clients (which show the proposed content and merge the result into a checkout), so both
 * compute the same result from the same diff. Pure: no I/O, no TypeBox; parsing and applying are
 * jsdiff's (`diff`). Entry `@pushpals/protocol/review`.
 */
import { applyPatch, createTwoFilesPatch, parsePatch, type StructuredPatch, type StructuredPatchHunk } from 'diff';

export * from './whole-files';

/** What `diff_ready.hunks[]` says about a hunk: its id and its file, in diff order. */
export interface HunkRef {
  hunkId: string;
  file: string;
}

export interface FileHunk {
  hunkId: string;
  hunk: StructuredPatchHunk;
}

/** One file of a diff with its hunks under their review ids. */
export interface FilePatch {
  path: string;
  /** The file does not exist before (`--- /dev/null`) / after (`+++ /dev/null`) the whole diff. */
  created: boolean;
  deleted: boolean;
  patch: StructuredPatch;
  hunks: FileHunk[];
}

/** A diff that does not fit its hunk list, or a hunk that does not apply to the base. */
export class ReviewDiffError extends Error {
  constructor(message: string, readonly file?: string) {
    super(message);
    this.name = 'ReviewDiffError';
  }
}

const DEV_NULL = '/dev/null';

/**
 * Splits a unified diff into files and pairs its hunks, in order, with the `diff_ready` hunk ids (each
 * agent numbers hunks in the order parsePatch yields them). Throws ReviewDiffError when they disagree.
 */
export function splitDiff(diff: string, refs: readonly HunkRef[]): FilePatch[] {
  const patches = parsePatch(diff).filter((p) => p.hunks.length > 0 || p.oldFileName || p.newFileName);
  const out: FilePatch[] = [];
  let i = 0;
  for (const p of patches) {
    if (!p.hunks.length) continue;
    const hunks = p.hunks.map((hunk) => {
      const ref = refs[i++];
      if (!ref) throw new ReviewDiffError(`the diff has more hunks than diff_ready lists (${refs.length})`);
      return { hunkId: ref.hunkId, hunk };
    });
    const file = refs[i - 1]!.file;
    out.push({ path: file, created: stripPrefix(p.oldFileName) === DEV_NULL, deleted: stripPrefix(p.newFileName) === DEV_NULL, patch: p, hunks });
  }
  if (i !== refs.length) throw new ReviewDiffError(`diff_ready lists ${refs.length} hunks, the diff has ${i}`);
  return out;
}

function stripPrefix(name: string | undefined): string {
  return (name ?? '').trim();
}

/**
 * The file after applying only the hunks `accepted` says yes to; `null` when the file does not exist
 * then (a rejected creation, an accepted deletion). `base` is null when the file does not exist in the
 * base. Throws ReviewDiffError when a hunk does not apply (the base is not what the diff was made from).
 */
export function applyAccepted(base: string | null, file: FilePatch, accepted: (hunkId: string) => boolean): string | null {
  const keep = file.hunks.filter((h) => accepted(h.hunkId));
  if (file.created && keep.length === 0) return null;
  if (base === null && !file.created) throw new ReviewDiffError(`${file.path} does not exist in the base, but the diff changes it`, file.path);
  if (file.deleted && keep.length === file.hunks.length) return null;
  const result = applyPatch(base ?? '', { ...file.patch, hunks: keep.map((h) => h.hunk) });
  if (result === false) throw new ReviewDiffError(`the diff of ${file.path} does not apply to its base`, file.path);
  return result;
}

/** A git-style unified diff of one file from `before` to `after` (null: absent), 3 lines of context. */
export function fileDiff(path: string, before: string | null, after: string | null): string {
  if (before === after) return '';
  const body = createTwoFilesPatch(before === null ? DEV_NULL : `a/${path}`, after === null ? DEV_NULL : `b/${path}`, before ?? '', after ?? '', undefined, undefined, { context: 3 });
  return `diff --git a/${path} b/${path}\n${body.replace(/^=+\n/m, '')}`;
}

/** A line of the inline review document: unchanged, removed by a hunk, or added by one. */
export type InlineLineKind = 'context' | 'removed' | 'added';

export interface InlineHunk {
  hunkId: string;
  /** 0-based line of the hunk's first changed line in the inline document (where its CodeLens goes). */
  anchor: number;
  /** 0-based lines removed / added by this hunk in the inline document. */
  removed: number[];
  added: number[];
}

export interface InlineDocument {
  text: string;
  hunks: InlineHunk[];
}

/**
 * The inline review document of one file: the base with every hunk's removed AND added lines in place
 * (like a unified diff without markers), and where each hunk's lines are. Decisions do not change the
 * text, only how it is decorated, so a decision never moves a line.
 */
export function inlineDocument(base: string | null, file: FilePatch): InlineDocument {
  const baseLines = splitLines(base ?? '');
  const out: string[] = [];
  const hunks: InlineHunk[] = [];
  let next = 0; // next base line (0-based) not yet copied
  for (const { hunkId, hunk } of file.hunks) {
    // oldStart is 1-based; jsdiff's parsePatch gives a pure insertion (oldLines 0) the line it goes before.
    const start = Math.max(0, hunk.oldStart - 1);
    while (next < start && next < baseLines.length) out.push(baseLines[next++]!);
    const h: InlineHunk = { hunkId, anchor: -1, removed: [], added: [] };
    for (const line of hunk.lines) {
      const tag = line[0];
      const text = line.slice(1);
      if (tag === '\\') continue;
      if (tag === ' ') {
        out.push(text);
        next++;
        continue;
      }
      if (h.anchor < 0) h.anchor = out.length;
      if (tag === '-') {
        h.removed.push(out.length);
        next++;
      } else h.added.push(out.length);
      out.push(text);
    }
    if (h.anchor < 0) h.anchor = Math.max(0, out.length - 1);
    hunks.push(h);
  }
  while (next < baseLines.length) out.push(baseLines[next++]!);
  return { text: out.join('\n') + (out.length ? '\n' : ''), hunks };
}

/** Lines without their terminators; a final newline does not make an extra empty line. */
function splitLines(s: string): string[] {
  if (!s) return [];
  const lines = s.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  return lines;
}
