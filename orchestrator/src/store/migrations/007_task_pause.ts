import type { Migration } from './types';

/**
 * 007 task pause: tasks.paused_at (ms since epoch) while a person has paused the task
 * (task_pause); NULL otherwise. Kept in the store so a restarted orchestrator resumes a paused
 * task's job paused.
 */
export const migration007: Migration = {
  id: 7,
  name: 'task_pause',
  sql: `
ALTER TABLE tasks ADD COLUMN paused_at INTEGER;
`,
};
