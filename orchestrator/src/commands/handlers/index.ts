import type { CommandRegistry } from '../registry';
import { approvalDecide } from './approval-decide';
import { chatSend } from './chat-send';
import { hello } from './hello';
import { hunkDecide } from './hunk-decide';
import { ping } from './ping';
import { statusGet } from './status-get';
import { subscribe, unsubscribe } from './subscribe';
import { taskCancel } from './task-cancel';
import { taskNew } from './task-new';
import { taskPause, taskResume } from './task-pause';

/** The built-in handlers. repo_add and audit_get are the workbench's (registered by workbench-setup.ts). */
export function registerBuiltinCommands(r: CommandRegistry): void {
  r.register('hello', hello);
  r.register('subscribe', subscribe);
  r.register('unsubscribe', unsubscribe);
  r.register('chat_send', chatSend);
  r.register('task_new', taskNew);
  r.register('task_cancel', taskCancel);
  r.register('task_pause', taskPause);
  r.register('task_resume', taskResume);
  r.register('approval_decide', approvalDecide);
  r.register('hunk_decide', hunkDecide);
  r.register('status_get', statusGet);
  r.register('ping', ping);
}
