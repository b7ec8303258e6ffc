#!/usr/bin/env node
// The `keepsake` command: TypeScript sources run through tsx, no build step.
import { register } from 'tsx/esm/api';

register();
await import('../real/cli/main.ts');
