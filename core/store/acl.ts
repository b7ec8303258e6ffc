// Role and database checks. Users are replicated state held by the store; the connection
// layer verifies passwords (net/password.ts) and puts the user's name in the Session.

import type { CommandFlag, Role, UserRecord } from './types';

/** Which roles may run a command with these flags (the table's `roles` column). */
export function rolesFor(flags: readonly CommandFlag[]): readonly Role[] {
  if (flags.includes('admin')) return ['admin'];
  if (flags.includes('write')) return ['admin', 'readwrite'];
  return ['admin', 'readwrite', 'readonly'];
}

export function dbAllowed(u: UserRecord, db: number): boolean {
  return u.dbs === null || u.dbs.includes(db);
}

export const noPermDb = (db: number): string => `NOPERM User has no permissions to access database ${db}`;
