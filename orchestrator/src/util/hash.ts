/** "sha256:<hex>" of a text's UTF-8 bytes: how the audit, the receipts and the checks name content by hash. */
import { createHash } from 'node:crypto';

export const sha256Ref = (text: string): string => `sha256:${createHash('sha256').update(text, 'utf8').digest('hex')}`;
