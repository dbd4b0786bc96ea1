import type { TaskAgent } from './types';

/** An agent that handles anything by failing it honestly with `message` (what to do instead). */
export function fallbackAgent(message: string): TaskAgent {
  return {
    id: 'orchestrator',
    canHandle: () => true,
    run: async () => ({ status: 'failed', error: { code: 'internal', message } }),
  };
}

/** The default fallback: until real agents are registered, say so instead of pretending. */
export const noAgent: TaskAgent = fallbackAgent('no agent is configured for this request: this orchestrator has no task agent registered that can handle it');
