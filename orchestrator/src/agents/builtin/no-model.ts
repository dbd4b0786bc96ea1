/** The fallback when no coder model is configured: say what works without one, and how to configure one. */
import { HEURISTIC_EXAMPLES } from '../../heuristic/intents';
import { howToConfigureModel } from '../../model/registry';
import type { TaskAgent } from '../types';

export const noModelAgent: TaskAgent = {
  id: 'orchestrator',
  canHandle: () => true,
  run: async () => ({
    status: 'failed',
    error: {
      code: 'model_not_configured',
      message: `No agent can handle this request: it needs the coding agent, and no coder model is configured. Without a model, PushPals understands requests like ${HEURISTIC_EXAMPLES.map((e) => `"${e}"`).join(', ')}. To enable the coding agent, ${howToConfigureModel('coder')}`.slice(0, 4096),
    },
  }),
};
