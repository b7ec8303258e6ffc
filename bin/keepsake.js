#!/usr/bin/env -S node --max-semi-space-size=64
// The `keepsake` command: TypeScript sources run through tsx, no build step.
// The flag on the first line (kept equal to `nodeFlags` in real/node-flags.ts, which a test
// checks) gives V8 a larger young generation: a server allocates a few short-lived objects
// per request, and with the default 16 MiB semi-spaces the scavenges cost about a sixth of the
// CPU of a write-heavy load (bench/redis-compare.ts measures with the same flag).
import { register } from 'tsx/esm/api';

register();
await import('../real/cli/main.ts');
