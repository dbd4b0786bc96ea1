/** `pushpals model test [--role R]`: checks the configured model endpoint (no server needed). */
import { parseArgs } from 'node:util';
import { PushPalsError } from '../errors';
import { MODEL_ROLES, type ModelRole } from '../model/config';
import { probeModel } from '../model/probe';
import { howToConfigureModel, ModelRegistry } from '../model/registry';
import { common, configFrom, modelFlags, type Sub } from './shared';

export const MODEL_COMMANDS: Record<string, Sub> = {
  model: {
    summary: 'model test [--role chat|planner|coder]: check the configured model endpoint',
    async run(args, io) {
      const { values, positionals } = parseArgs({ args, options: { ...common, ...modelFlags, role: { type: 'string' } }, allowPositionals: true });
      if (positionals[0] !== 'test') throw new PushPalsError('invalid_message', 'usage: pushpals model test [--role chat|planner|coder] [--json]');
      const role = (values.role ?? 'coder') as ModelRole;
      if (!MODEL_ROLES.includes(role)) throw new PushPalsError('invalid_message', `unknown role "${role}" (roles: ${MODEL_ROLES.join(', ')})`);
      const config = configFrom(values, io.env);
      const models = new ModelRegistry(config, io.env);
      const ep = models.endpoint(role);
      if (!ep) {
        io.out(values.json ? JSON.stringify({ ok: false, role, error: 'model_not_configured' }) : `✗ no ${role} model is configured: ${howToConfigureModel(role)}`);
        return 1;
      }
      const r = await probeModel(models.client(role), models.keySource(role) ?? 'none');
      if (values.json) io.out(JSON.stringify({ role, model: ep.model, baseUrl: ep.baseUrl, ...r }));
      else {
        io.out(`${role} model "${ep.model}" at ${ep.baseUrl}`);
        for (const c of r.checks) io.out(`${c.ok ? '✓' : '✗'} ${c.name.padEnd(10)} ${c.detail}`);
        io.out(r.ok ? 'ok: the agent can use this model' : 'not usable yet: fix the first ✗ above');
      }
      return r.ok ? 0 : 1;
    },
  },
};
