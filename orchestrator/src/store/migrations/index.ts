import { migration001 } from './001_core';
import { migration002 } from './002_audit';
import { migration003 } from './003_repos';
import type { Migration } from './types';

/**
 * Every migration, in order. Add a new file NNN_name.ts exporting a Migration and list it here;
 * never edit one that has shipped. Numbers: 001 core (sessions, events, tasks, jobs, approvals),
 * 002 audit, 003 repos.
 */
export const migrations: Migration[] = [
  migration001,
  migration002,
  migration003,
];
