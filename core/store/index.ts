export { Store, EMPTY_MUTATIONS, databasesDefault, evictionSamples } from './store';
export type { EvictionPolicy, ExecResult, Mutation, Session, StoreOptions, UserRecord, Role, CommandSpec, CommandFlag, Handler, StoreOps } from './types';
export { commandTable, commandIndex, findCommand, commandKeys, type StoreCommand } from './commands';
export { rolesFor, dbAllowed } from './acl';
