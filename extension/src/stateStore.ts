/**
 * The extension's copy of the orchestrator's state: the client state that the protocol package's shared
 * reducer (`applyEvent`, the same one the chat webview uses) folds events into, plus change listeners
 * for the tree views, the status bar, the quick picks and the approval notifications. No vscode import.
 */
import {
  activeGrants,
  applyEvent,
  applyTransient,
  approvalContext,
  clearDrafts,
  createClientState,
  draftList,
  isLiveApproval,
  pendingApprovals,
  taskCounts,
  taskList,
  type AgentView,
  type ApprovalView,
  type ClientState,
  type DraftView,
  type EventMessage,
  type GrantView,
  type StateChange,
  type TaskCounts,
  type TaskView,
  type TransientMessage,
} from '@pushpals/protocol/client';

/** A change of the state, or `reset`: everything was dropped (another event log, a new session). */
export type StoreChange = StateChange | { kind: 'reset' };

export class StateStore {
  private state: ClientState = createClientState();
  private readonly listeners = new Set<(changes: StoreChange[]) => void>();

  get tasks(): ReadonlyMap<string, TaskView> {
    return this.state.tasks;
  }
  get approvals(): ReadonlyMap<string, ApprovalView> {
    return this.state.approvals;
  }
  get agents(): ReadonlyMap<string, AgentView> {
    return this.state.agents;
  }
  get grants(): ReadonlyMap<string, GrantView> {
    return this.state.grants;
  }

  onChange(l: (changes: StoreChange[]) => void): { dispose(): void } {
    this.listeners.add(l);
    return { dispose: () => this.listeners.delete(l) };
  }

  reset(): void {
    this.state = createClientState();
    this.emit([{ kind: 'reset' }]);
  }

  /** Applies many events and notifies once (replay after a reconnect arrives in bursts). */
  applyAll(events: readonly EventMessage[]): void {
    const changes: StoreChange[] = [];
    for (const e of events) changes.push(...applyEvent(this.state, e));
    this.emit(changes);
  }

  apply(e: EventMessage): void {
    this.emit(applyEvent(this.state, e));
  }

  /**
   * A piece of a chat reply being written. Only the chat shows drafts, so this notifies no listener:
   * the trees and the status bar do not recompute on every piece.
   */
  applyTransient(m: TransientMessage): void {
    applyTransient(this.state, m);
  }

  /** The connection closed: its drafts are gone (the next subscription sends them again). */
  clearDrafts(): void {
    clearDrafts(this.state);
  }

  /** Replies being written, oldest first (the chat webview's `init` carries them). */
  drafts(): DraftView[] {
    return draftList(this.state).map((d) => ({ ...d }));
  }

  /** Live pending approvals (the inbox): not those of a failed or cancelled task. */
  pendingApprovals(): ApprovalView[] {
    return pendingApprovals(this.state);
  }

  /** Pending and someone still waits for it (see `isLiveApproval`). */
  isLive(a: ApprovalView): boolean {
    return isLiveApproval(this.state, a);
  }

  /** The approval's task, and the plan when that task is a ticket of one. */
  contextOf(a: ApprovalView): { task?: TaskView; plan?: TaskView } {
    return approvalContext(this.state, a);
  }

  /** Auto-commit grants active at `now`, the soonest to expire first. */
  activeGrants(now = Date.now()): GrantView[] {
    return activeGrants(this.state, now);
  }

  pendingFor(taskId: string): ApprovalView[] {
    return pendingApprovals(this.state, taskId);
  }

  /** Newest first. */
  taskList(): TaskView[] {
    return taskList(this.state);
  }

  counts(): TaskCounts {
    return taskCounts(this.state);
  }

  private emit(changes: StoreChange[]): void {
    if (!changes.length) return;
    for (const l of [...this.listeners]) l(changes);
  }
}
