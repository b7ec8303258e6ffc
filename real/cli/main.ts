// The `keepsake` command. Every subcommand has --help; `keepsake --help` shows the surface.

import { Command } from 'commander';
import { registerClientCommand } from './client-command';
import { registerServerCommands } from './server-commands';
import { registerSimCommands } from './sim-commands';

const program = new Command();
program
  .name('keepsake')
  .description('Keepsake: a distributed in-memory cache whose every protocol is a pure state machine,\nrun in a deterministic simulator (sim, replay, shrink) and over real sockets.')
  .version('0.1.0')
  .showHelpAfterError('(run with --help for usage)')
  .configureOutput({ outputError: (s, write) => write(`keepsake: ${s.replace(/^error: /, '')}`) });

registerSimCommands(program);
registerServerCommands(program);
registerClientCommand(program);

await program.parseAsync(process.argv);
