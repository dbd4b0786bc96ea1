/**
 * Pause / resume of running tasks (task_pause, task_resume). The state lives in the task store
 * (tasks.paused_at: it survives a restart); this registry tells the running agents when it changes.
 * An agent asks `wait()` before each model call and each tool call: it resolves at once unless the
 * task is paused, else when it is resumed — or rejects when the task's signal aborts (cancel works
 * while paused). What already runs (a command, a model call) is not interrupted.
 */
import { PushPalsError } from '../errors';

/** One task's view of the pause state, handed to its agent (TaskContext.pause). */
export interface PauseGate {
  readonly paused: boolean;
  /** Resolves when the task is not paused (at once if it is not); rejects when `signal` aborts. */
  wait(signal: AbortSignal): Promise<void>;
  /** Calls `fn` on every pause (true) and resume (false) of the task; returns the unsubscribe. */
  onChange(fn: (paused: boolean) => void): () => void;
}

export class TaskPauses {
  private readonly listeners = new Map<string, Set<(paused: boolean) => void>>();

  /** `isPaused` reads the store (one indexed row): the store is the only truth. */
  constructor(private readonly isPaused: (taskId: string) => boolean) {}

  /** Tells the task's agent (after the store changed). */
  notify(taskId: string, paused: boolean): void {
    for (const fn of [...(this.listeners.get(taskId) ?? [])]) fn(paused);
  }

  gate(taskId: string): PauseGate {
    const subscribe = (fn: (paused: boolean) => void): (() => void) => {
      let set = this.listeners.get(taskId);
      if (!set) this.listeners.set(taskId, (set = new Set()));
      set.add(fn);
      return () => {
        set.delete(fn);
        if (set.size === 0 && this.listeners.get(taskId) === set) this.listeners.delete(taskId);
      };
    };
    const isPaused = () => this.isPaused(taskId);
    return {
      get paused() {
        return isPaused();
      },
      onChange: subscribe,
      wait: (signal) =>
        new Promise<void>((resolve, reject) => {
          if (signal.aborted) return reject(new PushPalsError('cancelled', 'the task was stopped while paused'));
          if (!isPaused()) return resolve();
          const done = (): void => {
            off();
            signal.removeEventListener('abort', onAbort);
          };
          const onAbort = (): void => {
            done();
            reject(new PushPalsError('cancelled', 'the task was stopped while paused'));
          };
          const off = subscribe((paused) => {
            if (paused) return;
            done();
            resolve();
          });
          signal.addEventListener('abort', onAbort, { once: true });
        }),
    };
  }
}
