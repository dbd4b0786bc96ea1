/**
 * The chat webview: conversation + task cards (live status, collapsible tool calls with outputs,
 * approvals with Approve/Deny, errors). Renders with lit; only the newest `limit` items are in the DOM
 * ("Show earlier" pages back), so a 5,000-event history stays fast.
 */
import { html, nothing, render, type TemplateResult } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-textarea/index.js';
import '@vscode-elements/elements/dist/vscode-collapsible/index.js';
import '@vscode-elements/elements/dist/vscode-progress-ring/index.js';
import {
  createClientState,
  describeFileCount,
  describeReviewSize,
  draftList,
  errorText,
  isActive,
  reviewCounts,
  taskCounts,
  type ApprovalView,
  type ClientState,
  type DraftView,
  type MessageView,
  type ReviewView,
  type TaskView,
  type TimelineItem,
  type ToolCallView,
} from '@pushpals/protocol/state';
import { applyHostMessage } from './chatState';
import { evidenceBlock, type EvidenceBlock } from './evidenceView';
import { vscodeHost, type Host } from './host';
import type { ConnectionView, HostToWebview, WebviewToHost } from './messages';
import { ChatUiState, PAGE } from './uiState';

const t0 = performance.now();

class ChatApp {
  /** What the events say: the protocol package's shared reducer, the same the extension uses. */
  private state: ClientState = createClientState();
  private readonly ui: ChatUiState;
  private connection: ConnectionView = { state: 'connecting' };
  private scheduled = false;
  private initialised = false;
  private stickToBottom = true;
  private readonly root: HTMLElement;
  private list: HTMLElement | null = null;

  constructor(private readonly host: Host) {
    this.ui = new ChatUiState(host.getState(), (s) => host.setState(s));
    const root = document.getElementById('app');
    if (!root) throw new Error('#app missing');
    this.root = root;
    host.onMessage((m) => this.onMessage(m));
    this.renderNow();
    host.post({ type: 'ready', lastSeq: this.state.lastSeq });
  }

  private onMessage(m: HostToWebview): void {
    const start = performance.now();
    const folded = applyHostMessage(this.state, m);
    this.state = folded.state;
    switch (m.type) {
      case 'init': {
        this.connection = m.connection;
        this.renderNow();
        this.scrollToBottom();
        const now = performance.now();
        if (!this.initialised) {
          this.initialised = true;
          // ms: since the webview document started loading (its time origin); renderMs: applying the history + render.
          this.post({ type: 'metrics', name: 'firstPaint', ms: now, detail: { events: m.events.length, renderMs: now - start, scriptMs: now - t0, domItems: this.root.querySelectorAll('[data-seq]').length } });
        } else {
          this.post({ type: 'metrics', name: 'reinit', ms: now - start, detail: { events: m.events.length } });
        }
        break;
      }
      case 'events':
      case 'transient':
        if (folded.changed) this.schedule();
        break;
      case 'reset':
        this.schedule();
        break;
      case 'connection':
        this.connection = m.connection;
        this.schedule();
        break;
      case 'result':
        this.ui.finish(m.requestId, m.ok, m.error);
        this.schedule();
        break;
      case 'focusTask': {
        const items = this.state.timeline;
        this.ui.reveal(items.findIndex((i) => i.kind === 'task' && i.task.taskId === m.taskId), items.length);
        this.renderNow();
        const el = document.querySelector(`[data-task="${CSS.escape(m.taskId)}"]`);
        el?.scrollIntoView({ block: 'center' });
        el?.classList.add('flash');
        setTimeout(() => el?.classList.remove('flash'), 1200);
        break;
      }
    }
  }

  private post(m: WebviewToHost): void {
    this.host.post(m);
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    requestAnimationFrame(() => {
      this.scheduled = false;
      const list = this.list;
      this.stickToBottom = !list || list.scrollHeight - list.scrollTop - list.clientHeight < 40;
      this.renderNow();
      if (this.stickToBottom) this.scrollToBottom();
    });
  }

  private scrollToBottom(): void {
    const list = this.list;
    if (list) list.scrollTop = list.scrollHeight;
  }

  // ---- actions ----

  private send(kind: 'chat' | 'newTask'): void {
    const ta = this.root.querySelector<HTMLTextAreaElement & { value: string }>('#composer');
    const text = (ta?.value ?? '').trim();
    if (!text) return;
    const requestId = this.ui.begin();
    this.post(kind === 'chat' ? { type: 'chat', requestId, text } : { type: 'newTask', requestId, request: text });
    if (ta) ta.value = '';
    this.ui.setDraft('');
    this.stickToBottom = true;
    this.schedule();
  }

  private decide(a: ApprovalView, decision: 'approve' | 'deny'): void {
    const requestId = this.ui.begin(`approval:${a.approvalId}`, { keepOnSuccess: true });
    this.post({ type: 'decide', requestId, approvalId: a.approvalId, decision });
    this.schedule();
  }

  // ---- rendering ----

  private renderNow(): void {
    const items = this.state.timeline;
    const { hidden, visible } = this.ui.window(items);
    const c = this.connection;
    const { awaiting: pending, busyAgents } = taskCounts(this.state);
    render(
      html`
        <header class="top">
          <span class="conn conn-${c.state}" title=${c.detail ?? ''}>${connLabel(c)}</span>
          ${busyAgents ? html`<span class="agents"><vscode-progress-ring class="spin"></vscode-progress-ring>${busyAgents} agent(s) busy</span>` : nothing}
          ${pending ? html`<vscode-badge variant="counter" title="awaiting approval">${pending}</vscode-badge><span class="awaiting">awaiting approval</span>` : nothing}
          ${c.state === 'failed' || c.state === 'idle' ? html`<vscode-button secondary @click=${() => this.post({ type: 'connect' })}>Connect…</vscode-button>` : nothing}
        </header>
        <main id="list" class="list" role="log" aria-live="polite">
          ${hidden ? html`<div class="more"><vscode-button secondary id="show-earlier" @click=${() => { this.ui.showEarlier(); this.renderNow(); }}>Show ${Math.min(PAGE, hidden)} earlier (${hidden} hidden)</vscode-button></div>` : nothing}
          ${items.length === 0 ? html`<div class="empty">Ask for something: "Run git status on this repo", "Apply a patch to fix the README"… Press <kbd>Enter</kbd> to chat, <kbd>Ctrl</kbd>+<kbd>Enter</kbd> for a new task.</div>` : nothing}
          ${repeat(visible, (i) => i.key, (i) => this.item(i))}
          ${repeat(draftList(this.state), (d) => d.messageId, (d) => draft(d))}
        </main>
        <footer class="composer">
          <vscode-textarea id="composer" rows="2" resize="vertical" placeholder="Message PushPals, or describe a task…" aria-label="Message"
            .value=${this.ui.draft}
            @input=${(e: Event) => this.ui.setDraft((e.target as HTMLTextAreaElement).value)}
            @keydown=${(e: KeyboardEvent) => this.onKey(e)}></vscode-textarea>
          <div class="actions">
            <vscode-button id="send" @click=${() => this.send('chat')} title="Send (Enter)">Send</vscode-button>
            <vscode-button id="new-task" secondary @click=${() => this.send('newTask')} title="New task (Ctrl+Enter)">New Task</vscode-button>
          </div>
          ${this.ui.lastError() !== undefined ? html`<div class="error-line" role="alert">${this.ui.lastError()}</div>` : nothing}
        </footer>
        <div id="stats" hidden data-events=${this.state.applied} data-dupes=${this.state.duplicates} data-last-seq=${this.state.lastSeq} data-items=${items.length}></div>
      `,
      this.root,
    );
    this.list = this.root.querySelector('#list');
  }

  private onKey(e: KeyboardEvent): void {
    if (e.key !== 'Enter' || e.shiftKey) return;
    e.preventDefault();
    this.send(e.ctrlKey || e.metaKey ? 'newTask' : 'chat');
  }

  private item(i: TimelineItem): TemplateResult {
    return i.kind === 'task' ? this.card(i.task, i.seq) : message(i);
  }

  private card(t: TaskView, seq: number): TemplateResult {
    const active = isActive(t.state);
    const paused = active && t.paused === true;
    // The checks as evidence replace their one-line notes (the same results, with counts and the base).
    const evidence = evidenceBlock(t);
    return html`
      <section class="card state-${t.state}" data-task=${t.taskId} data-seq=${seq} data-state=${t.state} data-paused=${paused ? 'true' : 'false'} aria-label=${`Task ${t.title}`}>
        <div class="card-head">
          ${active && !paused && t.state !== 'awaiting_approval' ? html`<vscode-progress-ring class="spin"></vscode-progress-ring>` : nothing}
          <span class="title">${t.title}</span>
          <vscode-badge class="state" variant=${t.state === 'awaiting_approval' ? 'activity-bar-counter' : 'default'}>${paused ? 'paused' : t.state.replace('_', ' ')}</vscode-badge>
          <span class="spacer"></span>
          ${active
            ? html`<vscode-button secondary class=${paused ? 'resume' : 'pause'} title=${paused ? 'Resume: the agent continues where it stopped' : 'Pause: no new model call or command starts until resumed'} @click=${() => this.post({ type: paused ? 'resume' : 'pause', requestId: this.ui.begin(), taskId: t.taskId })}>${paused ? 'Resume' : 'Pause'}</vscode-button>`
            : nothing}
          ${active ? html`<vscode-button secondary class="cancel" @click=${() => this.post({ type: 'cancel', requestId: this.ui.begin(), taskId: t.taskId })}>Cancel</vscode-button>` : nothing}
          ${t.review ? html`<vscode-button class="review" title="Review the changes: accept or reject each hunk" @click=${() => this.post({ type: 'review', taskId: t.taskId })}>Review Changes</vscode-button>` : nothing}
          ${t.review?.committed ? html`<vscode-button secondary class="push" title=${`Push ${t.review.committed.branch} to the repository's remote (asks for approval)`} @click=${() => this.post({ type: 'push', taskId: t.taskId })}>Push</vscode-button>
            <vscode-button secondary class="pull-request" title="Open a pull request of the task branch (asks for approval)" @click=${() => this.post({ type: 'pullRequest', taskId: t.taskId })}>Open PR</vscode-button>` : nothing}
          <vscode-button secondary class="audit" title="Show the audit trail" @click=${() => this.post({ type: 'audit', taskId: t.taskId })}>Audit</vscode-button>
        </div>
        ${t.request && t.request !== t.title ? html`<div class="request">${t.request}</div>` : nothing}
        ${t.progress && active ? html`<div class="progress">${t.progress}${t.percent !== undefined ? html` · ${Math.round(t.percent)}%` : nothing}</div>` : nothing}
        ${t.toolCalls.map((c) => this.tool(c))}
        ${t.approvals.map((a) => this.approval(a))}
        ${t.notes.filter((n) => n.kind !== 'progress' && !(evidence && n.kind === 'check')).map((n) => html`<div class="note note-${n.kind} ${n.level ?? ''}" data-seq=${n.seq}>${n.text}</div>`)}
        ${evidence ? this.evidence(t.taskId, evidence) : nothing}
        ${t.review ? this.reviewLine(t.review) : nothing}
        ${t.delivery?.pr ? prLine(t.delivery.pr) : nothing}
        ${t.summary ? html`<div class="summary">${t.summary}</div>` : nothing}
        ${t.error ? html`<div class="task-error" role="alert">${errorText(t.error)}</div>` : nothing}
      </section>
    `;
  }

  private tool(c: ToolCallView): TemplateResult {
    const r = c.result;
    const status = r ? (r.ok ? `exit ${r.exitCode ?? 0}` : `failed${r.exitCode !== undefined ? ` (exit ${r.exitCode})` : ''}`) : c.verdict === 'ask' ? 'waiting for approval' : 'running…';
    const out = r ? [r.stdout, r.output, r.stderr].filter((x): x is string => !!x).join('\n') : '';
    return html`
      <vscode-collapsible class="tool ${r ? (r.ok ? 'ok' : 'bad') : 'running'}" data-seq=${c.seq} data-tool=${c.toolCallId}
        title=${`$ ${c.command}`} description=${`${status}${r ? ` · ${r.durationMs} ms` : ''}`} ?open=${this.ui.isToolOpen(c.toolCallId, !!r, out.length)}
        @vscode-collapsible-toggle=${(e: CustomEvent<{ open: boolean }>) => this.ui.setToolOpen(c.toolCallId, e.detail.open)}>
        <div class="tool-body">
          ${c.verdict ? html`<div class="verdict">policy: ${c.verdict}</div>` : nothing}
          ${r ? html`<pre class="output">${out || '(no output)'}</pre>${r.truncated ? html`<div class="truncated">output truncated</div>` : nothing}` : html`<div class="pending">no result yet</div>`}
        </div>
      </vscode-collapsible>
    `;
  }

  /** The checks that count now, each with its counts and the base; a failing one's excerpt collapsed. */
  private evidence(taskId: string, e: EvidenceBlock): TemplateResult {
    return html`<div class="evidence" data-evidence=${taskId}>
      <div class="evidence-title">${e.title}${e.rounds ? html` · ${e.rounds} rounds` : nothing}</div>
      ${e.rows.map(
        (r) => html`<div class="check check-${r.status} change-${r.change}" data-check=${r.name} data-status=${r.status}>
          <span class="check-text" title=${r.tooltip ?? nothing}>${r.text}</span>${r.phase ? html` <span class="phase">${r.phase}</span>` : nothing}
          ${r.excerpt ? html`<vscode-collapsible class="excerpt" title="Where it failed"><pre class="output">${r.excerpt}</pre></vscode-collapsible>` : nothing}
        </div>`,
      )}
    </div>`;
  }

  /** Where the review of the task's diff stands: hunks and whole-file changes decided, or the commit. */
  private reviewLine(r: ReviewView): TemplateResult {
    const c = reviewCounts(r);
    // Whole-file changes (binary, rename, mode) are decided like hunks but are not hunks: said apart.
    const of = r.fileChanges?.length ? `${c.total} changes (${describeReviewSize(r)})` : describeReviewSize(r);
    const text = r.committed
      ? `Committed ${r.committed.sha.slice(0, 8)} on ${r.committed.branch}: ${r.committed.hunks?.length ?? c.accepted} of ${of}`
      : `Review: ${describeFileCount(r.files.length)}, ${describeReviewSize(r)} — ${c.accepted} accepted, ${c.rejected} rejected, ${c.pending} pending`;
    return html`<div class="review-state ${r.committed ? 'committed' : c.pending ? 'pending' : 'decided'}" data-pending=${c.pending}>${text}</div>`;
  }

  private approval(a: ApprovalView): TemplateResult {
    const deciding = this.ui.isBusy(`approval:${a.approvalId}`);
    return html`
      <div class="approval approval-${a.status} risk-${a.risk}" data-seq=${a.seq} data-approval=${a.approvalId} role="group" aria-label=${`Approval: ${a.title}`}>
        <div class="approval-head"><strong>${APPROVAL_HEAD[a.status]}</strong>: ${a.title} <span class="risk">risk ${a.risk}</span></div>
        <div class="reason">${a.reason}</div>
        ${a.message ? html`<pre class=${a.kind === 'pr' ? 'pr-text' : 'commit-message'} title=${a.kind === 'pr' ? `The pull request's title and body${a.pullRequest ? ' (editable when you approve)' : ''}` : 'The proposed commit message (editable when you approve)'}>${a.message}</pre>` : nothing}
        ${a.command ? html`<pre class="command">$ ${a.command}</pre>` : nothing}
        ${a.patch ? html`<pre class="patch">${a.patch.split('\n').map((l) => html`<span class=${l.startsWith('+') && !l.startsWith('+++') ? 'add' : l.startsWith('-') && !l.startsWith('---') ? 'del' : ''}>${l}\n</span>`)}</pre>` : nothing}
        ${a.status === 'pending'
          ? html`<div class="approval-actions">
              <vscode-button class="approve" ?disabled=${deciding} @click=${() => this.decide(a, 'approve')}>Approve</vscode-button>
              <vscode-button class="deny" secondary ?disabled=${deciding} @click=${() => this.decide(a, 'deny')}>Deny</vscode-button>
            </div>`
          : a.status === 'expired'
            ? html`<div class="decided">expired: nobody decided in time, so the action was not run</div>`
            : html`<div class="decided">${a.status} by ${a.by ?? '?'}</div>`}
      </div>
    `;
  }
}

const APPROVAL_HEAD: Record<ApprovalView['status'], string> = { pending: 'Approval required', approved: 'Approved', denied: 'Denied', expired: 'Expired' };

function connLabel(c: ConnectionView): string {
  switch (c.state) {
    case 'connected':
      return 'Connected';
    case 'connecting':
      return 'Connecting…';
    case 'reconnecting':
      return 'Reconnecting…';
    case 'failed':
      return `Not connected: ${c.detail ?? 'failed'}`;
    default:
      return 'Not connected';
  }
}

/** The pull request as a link (VS Code opens http(s) links of a webview in the browser); any other scheme as text. */
function prLine(pr: { url: string; number: number; title: string }): TemplateResult {
  const link = /^https?:\/\//i.test(pr.url) ? html`<a href=${pr.url} title=${pr.url}>#${pr.number}</a>` : html`#${pr.number} (${pr.url})`;
  return html`<div class="pr-opened">Pull request ${link}: ${pr.title}</div>`;
}

function message(m: MessageView): TemplateResult {
  return html`<div class="msg msg-${m.kind}" data-seq=${m.seq}>
    <div class="who">${m.kind === 'user' ? 'You' : m.kind === 'assistant' ? m.from : m.kind}</div>
    <div class="text">${m.text}</div>
  </div>`;
}

/** A reply being written: its text so far, replaced by the stored message when that arrives. */
function draft(d: DraftView): TemplateResult {
  return html`<div class="msg msg-assistant msg-draft" data-draft=${d.messageId} aria-busy="true">
    <div class="who">${d.from} <vscode-progress-ring class="spin"></vscode-progress-ring></div>
    <div class="text">${d.text}${d.gap ? html`<span class="draft-gap"> … (part of this reply was missed; the full reply follows)</span>` : nothing}</div>
  </div>`;
}

new ChatApp(vscodeHost());
