// Users as replicated state: KSUSER.SET / KSUSER.DEL are ordinary mutations, so every
// node holds the same user table. Passwords arrive already hashed (net/password.ts).

import { array, bulk, bulkStr, err, int, NULL, OK, type Reply } from '../../net/reply';
import type { Handler, PasswordAlgo, Role, UserRecord } from './types';
import { E } from './util';

/** Limits on user records, so a replicated table stays small. */
export const usersMax = 1024;
export const userNameBytesMax = 128;
const hexPattern = /^[0-9a-f]{2,512}$/;

function parseRole(s: string): Role | null {
  return s === 'admin' || s === 'readwrite' || s === 'readonly' ? s : null;
}

function parseAlgo(s: string): PasswordAlgo | null {
  return s === 'scrypt' || s === 'pbkdf2' ? s : null;
}

/** "*" = every database, else a comma-separated list of db numbers. */
function parseDbs(s: string, databases: number): readonly number[] | null | 'bad' {
  if (s === '*') return null;
  const out: number[] = [];
  for (const part of s.split(',')) {
    if (!/^\d+$/.test(part)) return 'bad';
    const n = Number(part);
    if (n >= databases) return 'bad';
    if (!out.includes(n)) out.push(n);
  }
  return out.sort((a, b) => a - b);
}

/** KSUSER.SET name role dbs algo salt-hex hash-hex */
export const ksuserSet: Handler = (s, argv) => {
  const [name, roleS, dbsS, algoS, salt, hash] = argv.slice(1).map((b) => b.toString('utf8'));
  const role = parseRole(roleS!);
  const algo = parseAlgo(algoS!);
  const dbs = parseDbs(dbsS!, s.databases);
  if (role === null || algo === null || dbs === 'bad') return E.syntax;
  if (name!.length === 0 || Buffer.byteLength(name!) > userNameBytesMax) return err('ERR invalid user name');
  if (!hexPattern.test(salt!) || !hexPattern.test(hash!)) return err('ERR salt and hash must be hex');
  const users = s.users();
  if (!users.has(name!) && users.size >= usersMax) return err('ERR too many users');
  const rec: UserRecord = { name: name!, role, dbs, algo, salt: salt!, hash: hash! };
  users.set(name!, rec);
  s.markDirty();
  return OK;
};

export const ksuserDel: Handler = (s, argv) => {
  const removed = s.users().delete(argv[1]!.toString('utf8'));
  if (removed) s.markDirty();
  return int(removed ? 1 : 0);
};

/** KSUSER.GET name -> [role, dbs, algo, salt, hash] or nil. */
export const ksuserGet: Handler = (s, argv) => {
  const u = s.users().get(argv[1]!.toString('utf8'));
  if (u === undefined) return NULL;
  return array([u.role, u.dbs === null ? '*' : u.dbs.join(','), u.algo, u.salt, u.hash].map(bulkStr));
};

export const ksuserList: Handler = (s) => {
  const names = [...s.users().keys()].sort();
  const items: Reply[] = names.map((n) => bulk(Buffer.from(n)));
  return array(items);
};
