import assert from 'node:assert/strict';
import { checkPlan, checkSplit, dependencyOrder } from '../../src/plans/plan-schema';

const t = (id: string, dependsOn: string[] = []) => ({ id, title: `ticket ${id}`, description: 'do it', dependsOn, scope: ['src/'], acceptance: ['works'], checks: ['npm test'] });

describe('plans: the plan schema and its graph rules', () => {
  it('accepts a DAG and orders it so each ticket follows its dependencies', () => {
    const r = checkPlan({ summary: 's', tickets: [t('T3', ['T1', 'T2']), t('T1'), t('T2', ['T1'])] }, 12);
    assert.ok(r.ok, JSON.stringify(r));
    assert.deepEqual(dependencyOrder(r.value.tickets).map((x) => x.id), ['T1', 'T2', 'T3']);
  });

  it('names each schema problem with its path (what goes back to the model)', () => {
    const r = checkPlan({ summary: '', tickets: [{ ...t('T1'), scope: [], extra: 1 }] }, 12);
    assert.equal(r.ok, false);
    const text = r.ok ? '' : r.problems.join('\n');
    assert.match(text, /\/summary: /);
    assert.match(text, /\/tickets\/0\/scope: /);
    assert.match(text, /\/tickets\/0\/extra|additional/i);
  });

  it('refuses duplicate ids, unknown and self dependencies, cycles, and too many tickets', () => {
    const problems = (v: unknown, max = 12) => {
      const r = checkPlan(v, max);
      return r.ok ? [] : r.problems;
    };
    assert.match(problems({ summary: 's', tickets: [t('T1'), t('T1')] }).join(), /"T1" is used twice/);
    assert.match(problems({ summary: 's', tickets: [t('T1', ['T9'])] }).join(), /dependsOn\/0: no ticket has the id "T9"/);
    assert.match(problems({ summary: 's', tickets: [t('T1', ['T1'])] }).join(), /cannot depend on itself/);
    assert.match(problems({ summary: 's', tickets: [t('T1', ['T3']), t('T2', ['T1']), t('T3', ['T2']), t('T4')] }).join(), /cycle between T1, T2, T3/);
    assert.match(problems({ summary: 's', tickets: [t('T1'), t('T2'), t('T3')] }, 2).join(), /3 tickets, at most 2/);
    assert.match(problems('not a plan').join(), /^\/: /);
  });

  it('a split adds new ids that may depend on existing tickets, within the room left', () => {
    assert.ok(checkSplit({ tickets: [t('T9', ['T1'])] }, new Set(['T1']), 1).ok);
    const clash = checkSplit({ tickets: [t('T1')] }, new Set(['T1']), 3);
    assert.ok(!clash.ok && /used twice/.test(clash.problems.join()));
    const full = checkSplit({ tickets: [t('T8'), t('T9')] }, new Set(['T1']), 1);
    assert.ok(!full.ok && /room for 1/.test(full.problems.join()));
  });
});
