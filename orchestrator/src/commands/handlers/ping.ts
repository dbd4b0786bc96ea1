import type { CommandHandler } from '../registry';

export const ping: CommandHandler<'ping'> = (_cmd, { services }) => ({ ts: new Date(services.clock.now()).toISOString() });
