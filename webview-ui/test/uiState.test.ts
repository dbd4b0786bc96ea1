/**
 * The chat's UI-only state (src/uiState.ts): draft and open tool calls persisted, paging, requests in
 * flight and their errors. Runs under Node: the module has no DOM.
 */
import assert from 'node:assert/strict';
import { AUTO_OPEN_OUTPUT_CHARS, ChatUiState, MAX_ERRORS, MAX_EXPANDED, PAGE, type PersistedState } from '../src/uiState';

function make(saved?: PersistedState) {
  const saves: PersistedState[] = [];
  let t = 1_000;
  const ui = new ChatUiState(saved, (s) => saves.push(s), () => t++);
  return { ui, saves, last: () => saves.at(-1) };
}

describe('chat UI state', () => {
  describe('persisted state', () => {
    it('starts empty with one page; a saved state is restored, its limit never below one page', () => {
      assert.deepEqual([make().ui.draft, make().ui.limit], ['', PAGE]);
      const restored = make({ draft: 'half a sentence', expanded: ['tool:c1'], limit: 10 }).ui;
      assert.deepEqual([restored.draft, restored.limit, restored.isToolOpen('c1', false, 0)], ['half a sentence', PAGE, true]);
      assert.equal(make({ draft: '', expanded: [], limit: PAGE * 3 }).ui.limit, PAGE * 3);
    });

    it('every change is saved: draft, open tool calls, limit', () => {
      const { ui, last } = make();
      ui.setDraft('hello');
      assert.equal(last()?.draft, 'hello');
      ui.setToolOpen('c1', true);
      assert.deepEqual(last()?.expanded, ['tool:c1']);
      ui.showEarlier();
      assert.equal(last()?.limit, 2 * PAGE);
    });

    it('a saved copy does not change when the state changes later', () => {
      const { ui, saves } = make();
      ui.setToolOpen('c1', true);
      const first = saves[0];
      ui.setToolOpen('c2', true);
      assert.deepEqual(first?.expanded, ['tool:c1']);
    });

    it(`keeps at most ${MAX_EXPANDED} open/closed marks, dropping the oldest`, () => {
      const { ui, last } = make();
      for (let i = 0; i <= MAX_EXPANDED; i++) ui.setToolOpen(`c${i}`, true);
      const kept = last()?.expanded ?? [];
      assert.equal(kept.length, MAX_EXPANDED);
      assert.equal(kept.at(-1), `tool:c${MAX_EXPANDED}`);
      assert.equal(ui.isToolOpen('c0', false, 0), false, 'the oldest mark was dropped');
      assert.equal(ui.isToolOpen('c1', false, 0), true);
    });
  });

  describe('tool calls open or closed', () => {
    it('a running call is closed; a finished one with a short output opens by itself, a long one does not', () => {
      const { ui } = make();
      assert.equal(ui.isToolOpen('c1', false, 0), false);
      assert.equal(ui.isToolOpen('c1', true, AUTO_OPEN_OUTPUT_CHARS - 1), true);
      assert.equal(ui.isToolOpen('c1', true, AUTO_OPEN_OUTPUT_CHARS), false);
    });

    it('what the person chose wins over the automatic choice', () => {
      const { ui } = make();
      ui.setToolOpen('short', false);
      assert.equal(ui.isToolOpen('short', true, 10), false, 'closed by hand stays closed');
      ui.setToolOpen('long', true);
      assert.equal(ui.isToolOpen('long', true, AUTO_OPEN_OUTPUT_CHARS * 10), true, 'opened by hand stays open');
      ui.setToolOpen('short', true);
      assert.equal(ui.isToolOpen('short', true, 10), true, 'and can be reopened');
    });
  });

  describe('paging', () => {
    const items = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

    it('shows the newest `limit` items and counts the hidden ones', () => {
      const { ui } = make();
      assert.deepEqual(ui.window(items(3)), { hidden: 0, visible: [0, 1, 2] });
      const w = ui.window(items(PAGE + 5));
      assert.equal(w.hidden, 5);
      assert.equal(w.visible.length, PAGE);
      assert.equal(w.visible[0], 5);
      ui.showEarlier();
      assert.deepEqual([ui.window(items(PAGE + 5)).hidden, ui.window(items(PAGE + 5)).visible.length], [0, PAGE + 5]);
    });

    it('reveal grows the limit only when the item is hidden, leaving a few items above it', () => {
      const { ui, saves } = make();
      const total = PAGE * 2;
      assert.equal(ui.reveal(total - 1, total), false, 'already visible');
      assert.equal(ui.reveal(-1, total), false, 'not found');
      assert.equal(saves.length, 0);
      assert.equal(ui.reveal(20, total), true);
      assert.equal(ui.limit, total - 20 + 10);
      assert.ok(ui.window(items(total)).visible.includes(20));
    });
  });

  describe('requests in flight', () => {
    it('ids are unique; a request is busy until its answer', () => {
      const { ui } = make();
      const a = ui.begin();
      const b = ui.begin();
      assert.notEqual(a, b);
      assert.equal(ui.isBusy(a), true);
      ui.finish(a, true);
      assert.deepEqual([ui.isBusy(a), ui.isBusy(b)], [false, true]);
    });

    it('an approval stays blocked after a successful decision, and is unblocked by a failed one', () => {
      const { ui } = make();
      const ok = ui.begin('approval:a1', { keepOnSuccess: true });
      ui.finish(ok, true);
      assert.equal(ui.isBusy('approval:a1'), true, 'until the decision event removes the buttons');
      const bad = ui.begin('approval:a2', { keepOnSuccess: true });
      assert.equal(ui.isBusy('approval:a2'), true);
      ui.finish(bad, false, 'conflict: already denied');
      assert.equal(ui.isBusy('approval:a2'), false, 'the person can try again');
      assert.equal(ui.lastError(), 'conflict: already denied');
    });

    it(`failures are kept to show, the newest last, at most ${MAX_ERRORS}; an answer to an unknown request is harmless`, () => {
      const { ui } = make();
      assert.equal(ui.lastError(), undefined);
      for (let i = 0; i < MAX_ERRORS + 2; i++) ui.finish(ui.begin(), false, `e${i}`);
      assert.equal(ui.lastError(), `e${MAX_ERRORS + 1}`);
      ui.finish('unknown', false);
      assert.equal(ui.lastError(), 'failed');
      ui.finish('unknown-ok', true);
      assert.equal(ui.lastError(), 'failed');
    });
  });
});
