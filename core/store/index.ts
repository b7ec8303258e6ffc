// The store: Redis data types as a pure state machine.
//   execute(argv, nowMs, session) -> { reply, mutations }   leader/solo path
//   applyMutation(m)                                           follower/recovery path
//   sweepExpired(nowMs, maxKeys) -> mutations                  bounded active expiry
//   digest() / snapshot() / Store.restore(bytes, opts)         convergence and Keeper snapshots
// Every command is described once in `commandTable` (arity, flags, key positions, roles);
// the server layer can add its own entries of the same `CommandSpec` shape.
// Replies share the store's value Buffers: treat them as read-only.

export { Store, EMPTY_MUTATIONS, databasesDefault, evictionSamples } from './store';
export type {
  EvictionPolicy,
  ExecResult,
  Mutation,
  Session,
  StoreOptions,
  UserRecord,
  Role,
  PasswordAlgo,
  CommandSpec,
  CommandFlag,
  Handler,
  StoreOps,
} from './types';
export { arityOk, commandTable, commandIndex, findCommand, commandKeys, commandNameOf, isInternalCommand, writeCommandNames, type StoreCommand } from './commands';
export { rolesFor, dbAllowed, noPermDb } from './acl';
