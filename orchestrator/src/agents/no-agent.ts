import type { TaskAgent } from './types';

/** The default fallback: until real agents are registered, say so instead of pretending. */
export const noAgent: TaskAgent = {
  id: 'orchestrator',
  canHandle: () => true,
  run: async () => ({
    status: 'failed',
    error: {
      code: 'internal',
      message: 'no agent is configured for this request: this orchestrator has no task agent registered that can handle it',
    },
  }),
};
