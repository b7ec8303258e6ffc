// Node/V8 flags a Keepsake process runs with: the shebang of bin/keepsake.js carries them
// (test/real/node-flags.test.ts keeps the two equal), and whatever starts a node process
// explicitly (`node bin/keepsake.js ...`: the benchmark, the cluster launcher) passes them too.

/**
 * A 64 MiB young generation (semi-space) instead of 16 MiB: fewer, cheaper scavenges under
 * load, at the price of up to about 192 MiB of heap reserved for new objects when busy.
 */
export const nodeFlags: readonly string[] = ['--max-semi-space-size=64'];
