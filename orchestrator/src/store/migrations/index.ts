import { migration001 } from './001_core';
import { migration002 } from './002_audit';
import { migration003 } from './003_repos';
import { migration004 } from './004_open_tool_calls';
import { migration005 } from './005_live_base';
import { migration006 } from './006_team';
import { migration007 } from './007_grants';
import { migration008 } from './008_fixups';
import { migration009 } from './009_task_pause';
import { migration010 } from './010_check_reuse';
import type { Migration } from './types';

/**
 * Every migration, in order. Add a new file NNN_name.ts exporting a Migration and list it here;
 * never edit one that has shipped. Numbers: 001 core (sessions, events, tasks, jobs, approvals),
 * 002 audit, 003 repos, 004 open tool calls, 005 live base (tasks' base, repos' sync state),
 * 006 team (plans, tickets, fair claims, agent conversations), 007 grants (auto-commit grants),
 * 008 fix-ups (a plan's fix-up tickets), 009 task pause (tasks.paused_at),
 * 010 check reuse (a base's check results reused across tasks).
 */
export const migrations: Migration[] = [
  migration001,
  migration002,
  migration003,
  migration004,
  migration005,
  migration006,
  migration007,
  migration008,
  migration009,
  migration010,
];
