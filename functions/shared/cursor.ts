import type * as z from 'zod/mini';
import { InvalidCursorError } from './errors';

/** Paging cursors are opaque to clients: the base64url of a JSON array whose first element is the format's
 *  version, then the fields that say where the next page starts. A new format is a new version, so a cursor of
 *  another format is refused (400) rather than misread. */

// Bounds the work done on a client's input before it is decoded; every cursor issued is far shorter.
const CURSOR_TEXT = /^[A-Za-z0-9_-]{1,1024}$/;

export function encodeCursor(version: number, fields: readonly unknown[]): string {
  return Buffer.from(JSON.stringify([version, ...fields])).toString('base64url');
}

/** The fields of a cursor of `version`, validated by `schema` (a tuple). Any other text, encoding, JSON, version
 *  or shape is an InvalidCursorError. */
export function decodeCursor<S extends z.ZodMiniType>(cursor: string, version: number, schema: S): z.infer<S> {
  const invalid = () => new InvalidCursorError('is not a cursor this API issued');
  if (!CURSOR_TEXT.test(cursor)) throw invalid();
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(raw) || raw[0] !== version) throw invalid();
  const parsed = schema.safeParse(raw.slice(1));
  if (!parsed.success) throw invalid();
  return parsed.data;
}
