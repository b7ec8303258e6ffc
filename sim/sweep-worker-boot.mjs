// Worker entry in plain JS: registers tsx in this thread, then loads the TypeScript worker.
// (Node 20 does not apply --import loader hooks to a worker's own entry module.)
import { register } from 'tsx/esm/api';

register();
await import('./sweep-worker.ts');
