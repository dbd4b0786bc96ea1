/**
 * Part of the composition root (with app.ts and services.ts): builds the workbench and plugs what
 * it serves into the services — its protocol commands (repo_add/list/remove/sync, audit_get,
 * workspace_gc), its /api/status section, the task admission (every new task's repository
 * resolved), the diff review (its commands and the commit job), the auto-commit grants, the heuristic agent, the planner
 * when planner and coder models are configured (and planner.enabled), the coding agents (built-in,
 * OpenHands) when a coder model is configured, and the fallback that says how to configure one. The
 * workbench and the agents know nothing of each other's modules; they meet here.
 * app.ts loads this module lazily: its imports (dockerode, isomorphic-git, the shell parser) are
 * ~1/3 of the start-up time, which runs without the workbench need not pay.
 */
import { BuiltinAgent } from './agents/builtin/agent';
import { noModelAgent } from './agents/builtin/no-model';
import { join } from 'node:path';
import { OpenHandsAgent } from './agents/openhands/agent';
import { openHandsAvailable } from './agents/openhands/availability';
import type { WorkerAgent } from './config';
import { sweepOpenHandsDirs } from './agents/openhands/leftovers';
import { OpenHandsPool } from './agents/openhands/pool';
import { installGrants } from './grants/commands';
import { HeuristicAgent } from './heuristic/agent';
import { PlannerAgent } from './plans/planner-agent';
import { Team } from './plans/team';
import type { ModelRegistry } from './model/registry';
import { installDelivery } from './delivery';
import { installReview } from './review';
import { CheckReuse } from './checks/reuse';
import { TreeChecks } from './checks/run';
import type { Services } from './services';
import { registerWorkbenchCommands } from './workbench/commands';
import { Workbench } from './workbench/workbench';

export interface WorkbenchSetupOptions {
  /** Secrets to redact from outputs and the audit trail (the server token and model keys at least). */
  secrets: string[];
  /** The configured models (the coding agent is registered when a coder model is). */
  models: ModelRegistry;
}

export function installWorkbench(services: Services, opts: WorkbenchSetupOptions): Workbench {
  const workbench = new Workbench(services, { secrets: opts.secrets });
  registerWorkbenchCommands(services, workbench);
  services.registerStatus('workbench', () => workbench.status());
  // A task names its repository (or there is one) when it is created: refused then, not failed later.
  services.setTaskAdmission((input) => workbench.admitTask(input));
  // Diff review: hunk decisions, the commit of exactly the accepted hunks, the task branch (review/).
  // Checks as evidence: the repository's own test/lint/build commands on exactly one tree (checks/).
  // A base's results are reused by later tasks on the same tree (checks.reuseBase; checks/reuse.ts).
  const reuse = new CheckReuse(services.db, { enabled: services.config.checks.reuseBase, maxAgeMs: services.config.checks.reuseMaxAgeHours * 3600_000, now: () => services.clock.now() });
  const checks = new TreeChecks(workbench, services.config.dataDir, reuse);
  installReview({ services, wb: workbench, secrets: opts.secrets, models: opts.models, checks });
  // Auto-commit grants: while one covers a task, its commit/push/PR approvals are decided by the grant (grants/).
  // Delivery: push and pull request of a committed task branch, each behind its own approval (delivery/).
  installDelivery({ services, wb: workbench });
  installGrants(services, workbench.repos, workbench.audit);
  services.registerAgent(new HeuristicAgent(workbench, checks));
  // A killed run's OpenHands socket dirs (and what is mounted in them) go at start-up even when no coder model is configured now.
  const openhandsDir = join(services.config.dataDir, 'openhands');
  workbench.addLeftoverSweeper({ what: 'OpenHands socket dir', sweep: (s) => sweepOpenHandsDirs(openhandsDir, s) });
  // With a planner model (and planner.enabled), a request becomes a plan of tickets first; the
  // coding agent takes the tickets — or, without a planner, the request whole. Without a coder
  // model, such requests fail saying how to configure one.
  // Tickets may go to OpenHands when its image is there (the planner is told, and may choose per ticket).
  const workers = async (): Promise<WorkerAgent[]> => ['worker:builtin', ...((await openHandsAvailable(workbench, services.config.openhands.image)) ? (['openhands'] as const) : [])];
  const team = new Team(services, workbench, opts.models, checks, { workers });
  if (team.enabled) services.registerAgent(new PlannerAgent(team));
  if (opts.models.configured('coder')) {
    services.registerAgent(
      new BuiltinAgent({
        workbench,
        models: opts.models,
        secrets: opts.secrets,
        limits: services.config.agent,
        // A plan's ticket draws on the plan's budget (the planner and all its tickets together).
        tokensSpent: (taskId) => team.tokensSpent(team.budgetOwner(taskId)),
        db: services.db,
        team,
        checks,
      }),
    );
    // First: a task that selects OpenHands (task_new.agent, agents.repos, agents.default) goes there, whatever it says
    // (with the planner on, only tickets: a top-level task is planned, and its tickets follow its choice).
    const oh = services.config.openhands;
    // Agent servers started ahead (agents/openhands/pool.ts); it also reaps a previous run's slots, so it is attached even at size 0.
    const pool = new OpenHandsPool({ size: oh.warmPool, sandboxes: workbench.sandboxes, image: oh.image, dir: join(openhandsDir, '.pool'), readyTimeoutMs: oh.readyTimeoutMs, log: (msg) => services.logger.info(msg) });
    workbench.attach({ name: 'the OpenHands warm pool', start: () => pool.start(), close: () => pool.close() });
    services.registerStatus('openhandsPool', () => ({ ...pool.stats() }));
    services.registerAgent(
      new OpenHandsAgent({ workbench, models: opts.models, secrets: opts.secrets, config: services.config, tokensSpent: (taskId) => team.tokensSpent(team.budgetOwner(taskId)), logger: services.logger, pool, team, checks }),
      { first: true },
    );
  }
  services.agents.setFallback(noModelAgent);
  return workbench;
}
