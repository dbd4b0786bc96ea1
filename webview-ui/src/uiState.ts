/**
 * The chat's UI-only state, kept apart from what events say (that is the protocol package's shared
 * client state): the draft, which tool calls are open, how many items are shown, which requests are
 * in flight and the last errors. Pure (no DOM) so it is unit-tested; `save` persists what survives a
 * hidden/restored webview.
 */

/** What the webview host persists across hide/restore. */
export interface PersistedState {
  draft: string;
  expanded: string[];
  limit: number;
}

/** Items rendered at first, and added by each "Show earlier". */
export const PAGE = 150;
/** Expanded/collapsed marks kept (newest win): enough for any screen, bounded for the host's storage. */
export const MAX_EXPANDED = 500;
/** Request errors shown at most (newest last). */
export const MAX_ERRORS = 3;
/** A finished tool call opens by itself when its output is shorter than this. */
export const AUTO_OPEN_OUTPUT_CHARS = 4000;

export class ChatUiState {
  private readonly state: PersistedState;
  private readonly expanded: Set<string>;
  /** In-flight requests: request id → what it blocks (the request itself, or `approval:<id>`). */
  private readonly busy = new Map<string, { blocks: string; keepOnSuccess: boolean }>();
  private readonly errors = new Map<string, string>();
  private requestSeq = 0;

  constructor(
    saved: PersistedState | undefined,
    private readonly save: (s: PersistedState) => void,
    private readonly now: () => number = Date.now,
  ) {
    this.state = { draft: saved?.draft ?? '', expanded: saved?.expanded ?? [], limit: Math.max(saved?.limit ?? 0, PAGE) };
    this.expanded = new Set(this.state.expanded);
  }

  get draft(): string {
    return this.state.draft;
  }
  get limit(): number {
    return this.state.limit;
  }

  setDraft(text: string): void {
    this.state.draft = text;
    this.persist();
  }

  // ---- requests to the host ----

  /**
   * A new request id; the request counts as in flight (blocking `blocks`, default itself) until
   * `finish`. With `keepOnSuccess` it stays blocked after success: an approval's buttons stay
   * disabled until its decision event arrives and removes them, so a second click cannot race it.
   */
  begin(blocks?: string, opts: { keepOnSuccess?: boolean } = {}): string {
    const id = `w${this.now().toString(36)}${(++this.requestSeq).toString(36)}`;
    this.busy.set(id, { blocks: blocks ?? id, keepOnSuccess: opts.keepOnSuccess ?? false });
    return id;
  }

  isBusy(what: string): boolean {
    for (const v of this.busy.values()) if (v.blocks === what) return true;
    return false;
  }

  /** The host's answer to a request: it is no longer in flight (see `keepOnSuccess`); a failure is kept to show. */
  finish(requestId: string, ok: boolean, error?: string): void {
    const req = this.busy.get(requestId);
    if (!req || !(ok && req.keepOnSuccess)) this.busy.delete(requestId);
    if (ok) return;
    this.errors.set(requestId, error ?? 'failed');
    while (this.errors.size > MAX_ERRORS) this.errors.delete(this.errors.keys().next().value as string);
  }

  lastError(): string | undefined {
    return [...this.errors.values()].at(-1);
  }

  // ---- open/closed tool calls ----

  /** Open unless the person closed it: when opened by hand, or finished with a short output. */
  isToolOpen(toolCallId: string, finished: boolean, outputChars: number): boolean {
    const id = `tool:${toolCallId}`;
    return this.expanded.has(id) || (finished && !this.expanded.has(`${id}:closed`) && outputChars < AUTO_OPEN_OUTPUT_CHARS);
  }

  setToolOpen(toolCallId: string, open: boolean): void {
    const id = `tool:${toolCallId}`;
    this.mark(id, open);
    this.mark(`${id}:closed`, !open);
    this.persist();
  }

  private mark(id: string, on: boolean): void {
    this.expanded.delete(id); // re-added last: the newest marks survive the cap
    if (on) this.expanded.add(id);
  }

  // ---- paging ----

  /** The newest `limit` items, and how many older ones are hidden. */
  window<T>(items: readonly T[]): { hidden: number; visible: readonly T[] } {
    const hidden = Math.max(0, items.length - this.state.limit);
    return { hidden, visible: hidden ? items.slice(hidden) : items };
  }

  showEarlier(): void {
    this.setLimit(this.state.limit + PAGE);
  }

  /** Makes the item at `index` (of `total`) visible, with a few items above it; true when the limit grew. */
  reveal(index: number, total: number): boolean {
    if (index < 0 || total - index <= this.state.limit) return false;
    this.setLimit(total - index + 10);
    return true;
  }

  private setLimit(n: number): void {
    this.state.limit = n;
    this.persist();
  }

  private persist(): void {
    for (const oldest of [...this.expanded].slice(0, Math.max(0, this.expanded.size - MAX_EXPANDED))) this.expanded.delete(oldest);
    this.state.expanded = [...this.expanded];
    this.save({ ...this.state, expanded: [...this.state.expanded] });
  }
}
