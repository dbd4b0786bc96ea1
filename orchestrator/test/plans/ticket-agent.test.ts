/** Which coding agent works a ticket: the planner's choice when available, else the plan task's, the repo's, the default. */
import assert from 'node:assert/strict';
import { checkPlan } from '../../src/plans/plan-schema';
import type { TicketSpec } from '../../src/plans/plan-schema';
import { routeTickets, ticketAgent, workersPrompt } from '../../src/plans/ticket-agent';

const spec = (id: string, agent?: string) => ({ id, title: `ticket ${id}`, description: 'do it', dependsOn: [], scope: ['src/'], acceptance: ['works'], checks: ['npm test'], ...(agent ? { agent } : {}) });
const config = { agents: { default: 'worker:builtin' as const, repos: { demo: 'openhands' as const } } };
const repos = { get: (id: string) => (id === 'r_demo' ? ({ name: 'demo' } as never) : undefined) };
const BOTH = ['worker:builtin', 'openhands'] as const;

describe('plans: which agent works a ticket', () => {
  it('the plan schema takes an optional agent among the known workers, and refuses others by path', () => {
    assert.ok(checkPlan({ summary: 's', tickets: [spec('T1', 'openhands'), spec('T2')] }, 5).ok);
    const bad = checkPlan({ summary: 's', tickets: [spec('T1', 'gpt-engineer')] }, 5);
    assert.equal(bad.ok, false);
    assert.ok(!bad.ok && bad.problems.some((p) => p.startsWith('/tickets/0/agent')), JSON.stringify(bad));
  });

  it("the planner's choice when that worker is available; else the plan task's, the repo's, the default", () => {
    assert.deepEqual(ticketAgent({ agent: 'openhands' }, { context: null, repoId: null }, BOTH, config, repos), { agent: 'openhands', why: "the planner's choice" });
    const notThere = ticketAgent({ agent: 'openhands' }, { context: null, repoId: null }, ['worker:builtin'], config, repos);
    assert.equal(notThere.agent, 'worker:builtin');
    assert.match(notThere.why, /agents\.default; the planner asked for openhands, which is not available/);
    assert.deepEqual(ticketAgent({}, { context: { agent: 'openhands' }, repoId: null }, BOTH, config, repos), { agent: 'openhands', why: "the task's choice" });
    assert.deepEqual(ticketAgent({}, { context: null, repoId: 'r_demo' }, BOTH, config, repos), { agent: 'openhands', why: "the repository's (agents.repos)" });
    assert.equal(ticketAgent({ agent: 'worker:builtin' }, { context: { agent: 'openhands' }, repoId: null }, BOTH, config, repos).agent, 'worker:builtin');
    const routed = routeTickets([spec('T1', 'openhands'), spec('T2')] as TicketSpec[], { context: null, repoId: null }, BOTH, config, repos);
    assert.deepEqual(routed.tickets.map((t) => t.agent), ['openhands', 'worker:builtin']);
    assert.equal(routed.why.get('T2'), 'agents.default');
  });

  it('the planner is told about the workers only when there is a choice', () => {
    assert.equal(workersPrompt(['worker:builtin']), '');
    assert.match(workersPrompt(BOTH), /- worker:builtin: .*\n- openhands: the OpenHands agent/);
  });
});
