// `keepsake cli`: the project's own client. TLS by default (trusting the node CA), AUTH with
// -u/-p, output formatted like redis-cli, saved connection profiles, and an interactive
// prompt when no command is given.

import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import tls from 'node:tls';
import { Command, Option } from 'commander';
import { renderReply } from '../../net/render';
import { bulkBytes, type Reply } from '../../net/reply';
import { encodeCommand, RespReplyParser, splitInlineArgs } from '../../net/resp/index';
import { parseIntArg } from './sim-commands';

export interface Profile {
  host?: string;
  port?: number;
  user?: string;
  password?: string;
  cacert?: string;
  cert?: string;
  key?: string;
  insecure?: boolean;
}

export function profilesPath(): string {
  return process.env.KEEPSAKE_PROFILES ?? path.join(os.homedir(), '.config', 'keepsake', 'profiles.json');
}

function readProfiles(): Record<string, Profile> {
  const p = profilesPath();
  if (!existsSync(p)) return {};
  return JSON.parse(readFileSync(p, 'utf8')) as Record<string, Profile>;
}

function saveProfile(name: string, prof: Profile): string {
  const p = profilesPath();
  mkdirSync(path.dirname(p), { recursive: true, mode: 0o700 });
  const all = readProfiles();
  all[name] = prof;
  writeFileSync(p, JSON.stringify(all, null, 2) + '\n', { mode: 0o600 });
  chmodSync(p, 0o600); // it may hold a password
  return p;
}

/** A minimal RESP client over one socket: requests in, replies out, in order. */
export class RespClient {
  private readonly parser = new RespReplyParser();
  private readonly waiting: ((r: Reply) => void)[] = [];
  private failed: Error | null = null;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      for (const r of this.parser.feed(chunk)) this.waiting.shift()?.(r);
      if (this.parser.failure) this.fail(new Error(`bad reply from server: ${JSON.stringify(this.parser.failure)}`));
    });
    socket.on('error', (e) => this.fail(e));
    socket.on('close', () => this.fail(new Error('connection closed by server')));
  }

  private fail(e: Error): void {
    this.failed ??= e;
    for (const w of this.waiting.splice(0)) w({ t: 'error', s: `ERR ${e.message}` });
  }

  static connect(p: Required<Pick<Profile, 'host' | 'port'>> & Profile, timeoutMs = 5000): Promise<RespClient> {
    return new Promise((resolve, reject) => {
      const onErr = (e: Error) => {
        clearTimeout(timer); // else a refused connection keeps the process alive for timeoutMs
        reject(e);
      };
      const socket = p.insecure
        ? net.connect({ host: p.host, port: p.port })
        : tls.connect({
            host: p.host,
            port: p.port,
            servername: net.isIP(p.host) ? undefined : p.host,
            ca: p.cacert ? readFileSync(p.cacert) : undefined,
            cert: p.cert ? readFileSync(p.cert) : undefined,
            key: p.key ? readFileSync(p.key) : undefined,
          });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`could not connect to ${p.host}:${p.port} within ${timeoutMs}ms`));
      }, timeoutMs);
      socket.once('error', onErr);
      socket.once(p.insecure ? 'connect' : 'secureConnect', () => {
        clearTimeout(timer);
        socket.off('error', onErr);
        resolve(new RespClient(socket));
      });
    });
  }

  call(argv: (string | Buffer)[]): Promise<Reply> {
    if (this.failed) return Promise.resolve({ t: 'error', s: `ERR ${this.failed.message}` });
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.socket.write(encodeCommand(argv));
    });
  }

  close(): void {
    this.socket.end();
  }
}

export function registerClientCommand(program: Command): void {
  program
    .command('cli')
    .description('talk to a Keepsake (or any Redis) server: keepsake cli -u admin -p secret set hello world')
    .argument('[command...]', 'a command and its arguments; none: an interactive prompt')
    .addOption(new Option('--host <host>', 'server host').env('KEEPSAKE_CLI_HOST'))
    .addOption(new Option('--port <n>', 'server port').argParser(parseIntArg('--port', 1, 65535)).env('KEEPSAKE_CLI_PORT'))
    .option('-u, --user <name>', 'user to AUTH as')
    .addOption(new Option('-p, --password <password>', 'password (or KEEPSAKE_CLI_PASSWORD)').env('KEEPSAKE_CLI_PASSWORD'))
    .option('--cacert <file>', 'CA certificate to trust (default: data/ca.crt when present)')
    .option('--cert <file>', 'client certificate (mutual TLS)')
    .option('--key <file>', 'client private key (mutual TLS)')
    .option('--insecure', 'plaintext instead of TLS')
    .option('--profile <name>', 'use a saved profile')
    .option('--save-profile <name>', 'save these connection options as a profile (file mode 0600)')
    .option('--raw', 'print bulk replies raw, like redis-cli --raw')
    .allowUnknownOption(false)
    .action(async (command: string[], o: Profile & { profile?: string; saveProfile?: string; raw?: boolean }) => {
      const base: Profile = o.profile ? readProfiles()[o.profile] ?? (() => {
        console.error(`keepsake cli: no profile '${o.profile}' in ${profilesPath()}`);
        process.exit(2);
      })() : {};
      // An empty KEEPSAKE_CLI_PASSWORD means "none given", not "override the profile with ''".
      const password = o.password === '' ? undefined : o.password;
      const prof = { ...base, ...stripUndefined({ host: o.host, port: o.port, user: o.user, password, cacert: o.cacert, cert: o.cert, key: o.key, insecure: o.insecure }) };
      const host = prof.host ?? '127.0.0.1';
      const port = prof.port ?? 6379;
      if (!prof.insecure && !prof.cacert && existsSync('data/ca.crt')) prof.cacert = 'data/ca.crt';
      if (o.saveProfile) console.error(`saved profile '${o.saveProfile}' in ${saveProfile(o.saveProfile, { ...prof, host, port })}`);
      let client: RespClient;
      try {
        client = await RespClient.connect({ ...prof, host, port });
      } catch (e) {
        console.error(`keepsake cli: ${(e as Error).message}`);
        process.exitCode = 1;
        return;
      }
      if (prof.password) {
        const r = await client.call(prof.user ? ['AUTH', prof.user, prof.password] : ['AUTH', prof.password]);
        if (r.t === 'error') {
          console.error(`keepsake cli: AUTH failed: ${r.s}`);
          client.close();
          process.exitCode = 1;
          return;
        }
      }
      const show = (r: Reply) => console.log(o.raw && bulkBytes(r) !== null ? bulkBytes(r)!.toString() : renderReply(r));
      if (command.length > 0) {
        const r = await client.call(command);
        show(r);
        if (r.t === 'error') process.exitCode = 1;
        client.close();
        return;
      }
      const rl = readline.createInterface({ input: process.stdin, output: process.stdout, prompt: `${host}:${port}> ` });
      rl.prompt();
      for await (const line of rl) {
        const args = splitInlineArgs(Buffer.from(line), 0, Buffer.byteLength(line));
        if (args === null) console.log('Invalid argument(s)');
        else if (args.length > 0) {
          if (args[0]!.toString().toLowerCase() === 'quit' || args[0]!.toString().toLowerCase() === 'exit') break;
          show(await client.call(args));
        }
        rl.prompt();
      }
      client.close();
    });
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
