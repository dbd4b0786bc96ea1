/**
 * A ticket's worker in the plan store (real SQLite): kept with the ticket's task, read back by a
 * fresh store over the same database file (what a restarted orchestrator sees); a fix-up keeps it.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { EventLog } from '../../src/events/event-log';
import { PlanStore } from '../../src/plans/plan-store';
import { openDatabase } from '../../src/store/db';
import { TaskStore } from '../../src/tasks/task-store';
import { ManualClock } from '../../src/util/clock';
import { removeTempDirs, tempDir } from '../helpers/temp';

const spec = (id: string, agent?: 'openhands' | 'worker:builtin') => ({ id, title: `ticket ${id}`, description: `do ${id}`, dependsOn: [], scope: [`${id}.txt`], acceptance: ['done'], checks: ['npm test'], ...(agent ? { agent } : {}) });
const open = (file: string) => {
  const db = openDatabase(file);
  const clock = new ManualClock();
  const events = new EventLog(db, clock);
  const tasks = new TaskStore(db, events, clock);
  return { db, events, tasks, plans: new PlanStore(db, tasks, clock) };
};

describe('plans: a ticket keeps its worker', () => {
  after(() => removeTempDirs());

  it('stored with the ticket task, read back after a reopen; a fix-up of an OpenHands ticket runs on OpenHands', () => {
    const file = join(tempDir('pushpals-ticket-worker-'), 'w.db');
    const first = open(file);
    const planTask = first.tasks.create({ request: 'r', title: 'plan', sessionId: 's1', repoId: 'repo1' });
    first.plans.create(planTask, { repoId: 'repo1', baseCommit: 'a'.repeat(40), summary: 's', tickets: [spec('T1', 'openhands'), spec('T2')] });
    first.events.flush(); // the batch of events (task_created) commits, as at a clean stop
    first.db.close();
    const again = open(file);
    try {
      const [t1, t2] = again.plans.tickets(planTask.id);
      assert.ok(t1 && t2);
      assert.deepEqual([t1.agent, t2.agent], ['openhands', 'worker:builtin']);
      assert.equal(again.tasks.require(t1.taskId).context?.agent, 'openhands');
      const fix = again.plans.addFixUp(planTask.id, { fixes: t1, kind: 'regression', round: 1, title: 'Fix T1', description: 'b', base: 'b'.repeat(40) });
      assert.equal(fix.agent, 'openhands');
    } finally {
      again.db.close();
    }
  });
});
