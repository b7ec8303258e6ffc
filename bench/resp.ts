// RESP codec throughput: parsing pipelined SETs fed in 64 KiB chunks (MB/s), and encoding
// +OK and 16-byte bulk replies into one ReplyWriter (replies/s). Run alone with
// `npx tsx bench/resp.ts`; bench/run.ts may call benchResp().

import { pathToFileURL } from 'node:url';
import { OK, bulk } from '../net/reply';
import { RespRequestParser } from '../net/resp/parser';
import { ReplyWriter, encodeCommand, encodeReply } from '../net/resp/encoder';

export interface RespFigure {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
}

const setCount = 200_000;
const chunkBytes = 64 * 1024;
/** Best of several rounds: the figure is what the code can do, not the noise of a shared machine. */
const rounds = 10;
const encodeCount = 1_000_000;
/** Replies written before each take(), as a pipelining connection would. */
const repliesPerTake = 16;

function pipelinedSets(): Buffer {
  const value = Buffer.from('0123456789abcdef');
  const parts: Buffer[] = [];
  for (let i = 0; i < setCount; i++) parts.push(encodeCommand(['SET', `key:${String(i).padStart(6, '0')}`, value]));
  return Buffer.concat(parts);
}

function chunksOf(input: Buffer): Buffer[] {
  const chunks: Buffer[] = [];
  for (let at = 0; at < input.length; at += chunkBytes) chunks.push(input.subarray(at, at + chunkBytes));
  return chunks;
}

/** Best of a few rounds: MB/s (10^6 bytes) of parsing. */
function parseThroughput(input: Buffer, chunks: Buffer[]): number {
  let bestMs = Infinity;
  for (let round = 0; round < rounds; round++) {
    const parser = new RespRequestParser();
    parser.authenticated = true;
    let commands = 0;
    const t0 = performance.now();
    for (const chunk of chunks) commands += parser.feed(chunk).length;
    const ms = performance.now() - t0;
    if (commands !== setCount) throw new Error(`parsed ${commands} of ${setCount} commands`);
    bestMs = Math.min(bestMs, ms);
  }
  return input.length / 1e6 / (bestMs / 1000);
}

/** Best of a few rounds: replies/s written (RESP2) and taken in batches of 16. */
function encodeThroughput(reply: Parameters<ReplyWriter['write']>[0]): number {
  const expectedBytes = encodeCount * encodeReply(reply, 2).length;
  let bestMs = Infinity;
  for (let round = 0; round < rounds / 2; round++) {
    const writer = new ReplyWriter();
    let bytes = 0;
    const t0 = performance.now();
    for (let i = 0; i < encodeCount; i++) {
      writer.write(reply, 2);
      if ((i + 1) % repliesPerTake === 0) bytes += writer.take().length;
    }
    bytes += writer.take().length;
    bestMs = Math.min(bestMs, performance.now() - t0);
    if (bytes !== expectedBytes) throw new Error(`encoder wrote ${bytes} of ${expectedBytes} bytes`);
  }
  return encodeCount / (bestMs / 1000);
}

export function benchResp(): RespFigure[] {
  const input = pipelinedSets();
  const chunks = chunksOf(input);
  const round = (x: number): number => Math.round(x * 10) / 10;
  return [
    { name: 'resp parse pipelined SET (64 KiB chunks)', value: round(parseThroughput(input, chunks)), unit: 'MB/s' },
    { name: 'resp encode +OK', value: Math.round(encodeThroughput(OK)), unit: 'replies/s' },
    { name: 'resp encode 16-byte bulk', value: Math.round(encodeThroughput(bulk(Buffer.from('0123456789abcdef')))), unit: 'replies/s' },
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const f of benchResp()) console.log(`${f.name}: ${f.value} ${f.unit}`);
}
