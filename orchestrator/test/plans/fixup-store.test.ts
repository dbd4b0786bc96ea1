/**
 * Fix-up tickets in the plan store (real SQLite, migration 008): a fix-up is a task of the plan for the
 * same worker as the ticket it fixes, starting where it was told; asking again for the same round (a
 * re-run after a crash) finds it instead of starting another; a round taken by a different fix-up gets
 * the next number.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { EventLog } from '../../src/events/event-log';
import { PlanStore } from '../../src/plans/plan-store';
import { openDatabase, type Db } from '../../src/store/db';
import { TaskStore } from '../../src/tasks/task-store';
import { ManualClock } from '../../src/util/clock';
import { removeTempDirs, tempDir } from '../helpers/temp';

const spec = (id: string) => ({ id, title: `ticket ${id}`, description: `do ${id}`, dependsOn: [], scope: [`${id}.txt`], acceptance: ['done'], checks: ['npm test'] });
const BASE = 'a'.repeat(40);
const HEAD = 'b'.repeat(40);

describe('plans: fix-up tickets in the store', () => {
  let db: Db;
  let tasks: TaskStore;
  let plans: PlanStore;

  beforeEach(() => {
    db = openDatabase(join(tempDir('pushpals-fixups-'), 'f.db'));
    const clock = new ManualClock();
    tasks = new TaskStore(db, new EventLog(db, clock), clock);
    plans = new PlanStore(db, tasks, clock);
  });
  afterEach(() => {
    db.close();
    removeTempDirs();
  });

  it('adds a fix-up as a task of the plan (same worker, the given base, the ticket\'s scope and checks); the same round again finds it; a taken round gets the next number', () => {
    const planTask = tasks.create({ request: 'r', title: 'plan', sessionId: 's1', repoId: 'repo1' });
    plans.create(planTask, { repoId: 'repo1', baseCommit: BASE, summary: 's', tickets: [spec('T1'), spec('T2')] });
    const [t1, t2] = plans.tickets(planTask.id);
    assert.ok(t1 && t2);
    const fix = plans.addFixUp(planTask.id, { fixes: t2, kind: 'conflict', round: 1, title: 'Re-apply T2', description: 'the brief', base: HEAD });
    assert.deepEqual([fix.key, fix.fixes, fix.fixKind, fix.fixRound, fix.baseCommit, fix.dependsOn, fix.scope, fix.checks, fix.state], ['T2-fix1', t2.taskId, 'conflict', 1, HEAD, [], ['T2.txt'], ['npm test'], 'queued']);
    const task = tasks.require(fix.taskId);
    assert.deepEqual([task.parentId, task.title, task.request, task.context?.agent, task.repoId], [planTask.id, 'T2-fix1: Re-apply T2', 'the brief', 'worker:builtin', 'repo1']);
    assert.ok(fix.ordinal > t2.ordinal);
    // A re-run asks for the same round: the stored fix-up, no second task.
    const again = plans.addFixUp(planTask.id, { fixes: t2, kind: 'conflict', round: 1, title: 'Re-apply T2', description: 'the brief', base: 'c'.repeat(40) });
    assert.equal(again.taskId, fix.taskId);
    // Round 1 taken by another fix-up: this one is round 2.
    const other = plans.addFixUp(planTask.id, { fixes: t1, kind: 'regression', round: 1, title: 'Fix test', description: 'b', base: HEAD });
    assert.deepEqual([other.key, other.fixRound], ['T1-fix2', 2]);
    assert.equal(plans.tickets(planTask.id).length, 4);
  });
});
