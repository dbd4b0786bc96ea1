import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { EventLog } from '../../src/events/event-log';
import { JobQueue } from '../../src/queue/job-queue';
import { openDatabase } from '../../src/store/db';
import { systemClock } from '../../src/util/clock';
import { removeTempDirs, tempDir } from '../helpers/temp';

const CLAIMER = join(__dirname, '..', 'fixtures', 'queue-claimer.js');

function lines(child: ChildProcess, onLine: (l: string) => void): void {
  let buf = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      onLine(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
  });
}

describe('queue: 4 processes on one DB file', function () {
  this.timeout(60_000);
  const children: ChildProcess[] = [];
  after(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    removeTempDirs();
  });

  it('every job is run and completed exactly once', async () => {
    const file = join(tempDir(), 'mp.db');
    const db = openDatabase(file);
    const q = new JobQueue({ db, events: new EventLog(db, systemClock), clock: systemClock }, { leaseMs: 30_000, backoffBaseMs: 100, backoffMaxMs: 1000, maxAttempts: 3 });
    const N = 2000;
    db.transaction(() => {
      for (let i = 0; i < N; i++) q.enqueue({ queue: 'mp', payload: { i } });
    })();

    const results: Array<{ pid: number; ran: string[] }> = [];
    let ready = 0;
    await new Promise<void>((resolve, reject) => {
      for (let i = 0; i < 4; i++) {
        const c = spawn(process.execPath, [CLAIMER, file, '4', '1'], { stdio: ['pipe', 'pipe', 'inherit'] });
        children.push(c);
        c.on('error', reject);
        lines(c, (l) => {
          if (l === 'ready') {
            // Start together so the processes really compete for the same rows.
            if (++ready === 4) for (const x of children) x.stdin!.write('go\n');
          } else {
            results.push(JSON.parse(l) as { pid: number; ran: string[] });
            if (results.length === 4) resolve();
          }
        });
      }
    });

    const all = results.flatMap((r) => r.ran);
    assert.equal(all.length, N, 'each job handled once in total');
    assert.equal(new Set(all).size, N, 'no job handled twice');
    assert.ok(results.filter((r) => r.ran.length > 0).length >= 2, `work was shared: ${results.map((r) => r.ran.length).join('/')}`);
    assert.equal(q.countByState().completed, N);
    const completedEvents = db.prepare(`SELECT COUNT(DISTINCT json_extract(json, '$.payload.jobId')) AS d, COUNT(*) AS n FROM events WHERE type = 'job_completed'`).get() as { d: number; n: number };
    assert.deepEqual(completedEvents, { d: N, n: N }, 'one job_completed per job');
    const claimed = db.prepare(`SELECT COUNT(*) FROM events WHERE type = 'job_claimed'`).pluck().get() as number;
    assert.equal(claimed, N, 'one claim per job');
    db.close();
  });
});
