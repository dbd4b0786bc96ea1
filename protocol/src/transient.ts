/**
 * Transient server → client messages: sent live to the subscribers of a session and NEVER stored, so
 * they carry no `seq`, are not replayed, and a client never deduplicates them by seq. They preview
 * what a stored event will say (a chat reply while the model writes it); the stored event is the
 * truth and replaces the preview. Each entry: the payload schema of one type (the envelope is added
 * in messages.ts). New in protocol 1.1: a server sends them only to a subscription whose `subscribe`
 * command announced 1.1 or later (`TRANSIENT_SINCE`).
 */
import { Type } from '@sinclair/typebox';
import { Id, Text } from './common';

const closed = { additionalProperties: false } as const;

export const TransientPayloads = {
  assistant_delta: Type.Object(
    {
      /** The envelope `id` the final `assistant_message` will carry. */
      messageId: Id,
      /** How many characters of the reply come before `text`; 0 = `text` is the whole reply so far. */
      offset: Type.Integer({ minimum: 0, description: 'characters of the reply before `text`; 0 means `text` is the whole reply so far (it replaces, not appends)' }),
      text: Text(),
    },
    closed,
  ),
} as const;

export type TransientType = keyof typeof TransientPayloads;
export const TRANSIENT_TYPES = Object.keys(TransientPayloads) as TransientType[];

/** The first protocol version whose clients understand transient messages. */
export const TRANSIENT_SINCE = '1.1';

/** One-line descriptions, used by the generated reference (protocol/README.md). */
export const TransientDocs: Record<TransientType, string> = {
  assistant_delta:
    'A piece of a chat reply while the model writes it (live only, never stored or replayed). Append `text` at `offset` to the draft `messageId`; the stored `assistant_message` whose envelope `id` is `messageId` replaces the draft, and the turn\'s `done` (or `error`) ends a draft that never got one.',
};
