/** `pushpals model test [--role R]`: checks the configured model endpoint (no server needed). */
import { parseArgs } from 'node:util';
import { MODEL_ROLES, type ModelRole } from '../model/config';
import { probeModel } from '../model/probe';
import { howToConfigureModel, ModelRegistry } from '../model/registry';
import { COMMON_USAGE, UsageError, common, configFrom, modelFlags, type Sub } from './shared';

export const MODEL_COMMANDS: Record<string, Sub> = {
  model: {
    summary: 'model test [--role chat|planner|coder]: check the configured model endpoint',
    usage: `usage: pushpals model test [--role chat|planner|coder] [--model-base-url URL] [--model-name M] [--data-dir D] [--json]

Checks a role's model endpoint from this machine (no running orchestrator needed): reachable, key
accepted, model served, tool calls native or through the JSON fallback. Exit 0 when usable.
  --role R       chat, planner or coder (default coder)
  --model-base-url URL, --model-name M
                 try another endpoint than the configured one
${COMMON_USAGE}`,
    async run(args, io) {
      const { values, positionals } = parseArgs({ args, options: { ...common, ...modelFlags, role: { type: 'string' } }, allowPositionals: true });
      if (positionals[0] !== 'test') throw new UsageError(positionals[0] ? `unknown model command "${positionals[0]}"` : 'missing the model command (test)');
      if (positionals.length > 1) throw new UsageError(`unexpected argument "${positionals[1]}"`);
      const role = (values.role ?? 'coder') as ModelRole;
      if (!MODEL_ROLES.includes(role)) throw new UsageError(`unknown role "${role}" (roles: ${MODEL_ROLES.join(', ')})`);
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
