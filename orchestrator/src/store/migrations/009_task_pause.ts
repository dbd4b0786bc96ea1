import type { Migration } from './types';

/**
 * 009 task pause: tasks.paused_at (ms since epoch) while a person has paused the task
 * (task_pause); NULL otherwise. Kept in the store so a restarted orchestrator resumes a paused
 * task's job paused.
 */
export const migration009: Migration = {
  id: 9,
  name: 'task_pause',
  sql: `
ALTER TABLE tasks ADD COLUMN paused_at INTEGER;
`,
};
