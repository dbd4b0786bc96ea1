/**
 * The review of each task's diff in this window: loads what the inline view needs (`review_get` once per
 * diff), sends decisions (`hunk_decide`), and tells the surfaces when a review changed — through the
 * shared reducer's `review` changes, so a decision made in another window or on a phone shows here too.
 */
import * as vscode from 'vscode';
import type { ReviewView, TaskView } from '@pushpals/protocol/client';
import type { Session } from '../session';
import { buildTaskReview, type FileReview, type TaskReview } from './model';

export type HunkDecision = 'accept' | 'reject';

export const REVIEW_SCHEME = 'pushpals-review';
export const PROPOSED_SCHEME = 'pushpals-proposed';

/** `pushpals-review:/<task>/<path>`: the inline review document of one file. */
export function reviewUri(taskId: string, path: string): vscode.Uri {
  return vscode.Uri.from({ scheme: REVIEW_SCHEME, path: `/${taskId}/${path}` });
}

/** `pushpals-proposed:/<task>/<path>?base|proposed`: one side of the side-by-side view. */
export function sideUri(taskId: string, path: string, side: 'base' | 'proposed'): vscode.Uri {
  return vscode.Uri.from({ scheme: PROPOSED_SCHEME, path: `/${taskId}/${path}`, query: side });
}

export function parseReviewUri(uri: vscode.Uri): { taskId: string; path: string } | undefined {
  const m = /^\/([^/]+)\/(.+)$/.exec(uri.path);
  return m ? { taskId: m[1]!, path: m[2]! } : undefined;
}

export interface ReviewChange {
  taskId: string;
  /** Absent: the whole review changed (a new diff, the commit). */
  hunkIds?: string[];
}

export class ReviewService implements vscode.Disposable {
  private readonly loaded = new Map<string, TaskReview>();
  private readonly loading = new Map<string, Promise<TaskReview>>();
  private readonly changed = new vscode.EventEmitter<ReviewChange>();
  /** Fires after the reducer applied a review change (decision, new diff, commit). */
  readonly onDidChange = this.changed.event;
  private readonly sub: { dispose(): void };
  /** hunkId → when this window asked to decide it (performance.now()), until the decision shows. */
  readonly decisionStarted = new Map<string, number>();

  constructor(readonly session: Session) {
    this.sub = session.store.onChange((changes) => {
      for (const c of changes) {
        if (c.kind === 'reset') {
          this.loaded.clear();
          this.loading.clear();
          this.changed.fire({ taskId: '' });
        } else if (c.kind === 'review') {
          const cached = this.loaded.get(c.taskId);
          if (cached && cached.diffSeq !== this.task(c.taskId)?.review?.diffSeq) this.loaded.delete(c.taskId);
          this.changed.fire(c.hunkIds ? { taskId: c.taskId, hunkIds: c.hunkIds } : { taskId: c.taskId });
        }
      }
    });
  }

  task(taskId: string): TaskView | undefined {
    return this.session.store.tasks.get(taskId);
  }

  reviewOf(taskId: string): ReviewView | undefined {
    return this.task(taskId)?.review;
  }

  /** Tasks with a diff, newest first. */
  tasksWithReview(): TaskView[] {
    return this.session.store.taskList().filter((t) => t.review !== undefined);
  }

  /** The loaded review, if it is loaded already (CodeLens and decorations ask synchronously). */
  peek(taskId: string): TaskReview | undefined {
    const r = this.loaded.get(taskId);
    return r && r.diffSeq === this.reviewOf(taskId)?.diffSeq ? r : undefined;
  }

  /** Loads (once per diff) the base contents and builds the inline documents. */
  load(taskId: string): Promise<TaskReview> {
    const have = this.peek(taskId);
    if (have) return Promise.resolve(have);
    const review = this.reviewOf(taskId);
    if (!review) return Promise.reject(new Error(`task ${taskId} has no diff to review`));
    const key = `${taskId}#${review.diffSeq}`;
    let p = this.loading.get(key);
    if (!p) {
      p = this.session.request('review_get', { taskId }).then((got) => {
        const built = buildTaskReview(taskId, review, got);
        this.loaded.set(taskId, built);
        return built;
      });
      p.finally(() => this.loading.delete(key)).catch(() => undefined);
      this.loading.set(key, p);
    }
    return p;
  }

  decisionOf(taskId: string, hunkId: string): HunkDecision | undefined {
    const r = this.reviewOf(taskId);
    return (r?.hunks.find((h) => h.hunkId === hunkId) ?? r?.fileChanges?.find((f) => f.fileId === hunkId))?.decision;
  }

  /** A map of the task's decisions, hunks and whole-file changes (one lookup per hunk when decorating a 200-hunk file). */
  decisions(taskId: string): Map<string, HunkDecision> {
    const out = new Map<string, HunkDecision>();
    const r = this.reviewOf(taskId);
    for (const h of r?.hunks ?? []) if (h.decision) out.set(h.hunkId, h.decision);
    for (const f of r?.fileChanges ?? []) if (f.decision) out.set(f.fileId, f.decision);
    return out;
  }

  /** Sends a decision for each hunk whose decision differs; resolves when all are acknowledged. */
  async decide(taskId: string, hunkIds: readonly string[], decision: HunkDecision): Promise<number> {
    const review = this.reviewOf(taskId);
    if (!review) throw new Error(`task ${taskId} has no diff to review`);
    if (review.committed) throw new Error(`task ${taskId} is committed already (${review.committed.sha.slice(0, 8)}): its decisions are final`);
    const current = this.decisions(taskId);
    const todo = hunkIds.filter((id) => current.get(id) !== decision);
    const now = performance.now();
    for (const id of todo) this.decisionStarted.set(id, now);
    await Promise.all(todo.map((hunkId) => this.session.request('hunk_decide', { taskId, hunkId, decision })));
    return todo.length;
  }

  fileOf(taskId: string, path: string): FileReview | undefined {
    return this.peek(taskId)?.byPath.get(path);
  }

  dispose(): void {
    this.sub.dispose();
    this.changed.dispose();
  }
}
