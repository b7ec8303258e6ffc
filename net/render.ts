// Render a Reply exactly as redis-cli does in its default (--no-raw, TTY) mode for a RESP2
// connection (redis-cli.c cliFormatReplyTTY): status raw, errors "(error) ...", integers
// "(integer) n", bulk strings quoted with sdscatrepr escapes, nested arrays indented by
// the width of their parent's index. Returned without the final newline.

import type { Reply } from './reply';
import { formatDouble17g } from '../core/store/numbers';

export function renderReply(r: Reply): string {
  const out = formatTty(r, '');
  return out.endsWith('\n') ? out.slice(0, -1) : out;
}

/** sdscatrepr: printable ASCII as is, the usual C escapes, the rest as \xHH. */
export function quoteBytes(b: Uint8Array): string {
  let s = '"';
  for (const c of b) {
    switch (c) {
      case 0x5c: s += '\\\\'; break;
      case 0x22: s += '\\"'; break;
      case 0x0a: s += '\\n'; break;
      case 0x0d: s += '\\r'; break;
      case 0x09: s += '\\t'; break;
      case 0x07: s += '\\a'; break;
      case 0x08: s += '\\b'; break;
      default:
        s += c >= 0x20 && c <= 0x7e ? String.fromCharCode(c) : `\\x${c.toString(16).padStart(2, '0')}`;
    }
  }
  return `${s}"`;
}

/** In RESP2 these all arrive as arrays. */
function itemsOf(r: Reply): readonly Reply[] | null {
  switch (r.t) {
    case 'array':
    case 'set':
    case 'push':
      return r.items;
    case 'map':
    case 'pairs':
      return r.entries.flatMap(([k, v]) => [k, v]);
    default:
      return null;
  }
}

function formatTty(r: Reply, prefix: string): string {
  switch (r.t) {
    case 'simple':
      return `${r.s}\n`;
    case 'error':
      return `(error) ${r.s}\n`;
    case 'int':
      return `(integer) ${r.n.toString()}\n`;
    case 'bool':
      return `(integer) ${r.v ? 1 : 0}\n`;
    case 'bulk':
      return `${quoteBytes(r.b)}\n`;
    case 'latin1':
      return `${quoteBytes(Buffer.from(r.s, 'latin1'))}\n`;
    case 'double':
      return `${quoteBytes(Buffer.from(formatDouble17g(r.d)))}\n`;
    case 'verbatim':
      return `${quoteBytes(Buffer.from(r.s))}\n`;
    case 'null':
    case 'nullArray':
      return '(nil)\n';
    case 'array':
    case 'set':
    case 'push':
    case 'map':
    case 'pairs':
      return formatArray(itemsOf(r)!, prefix);
    default:
      return unreachableReply(r);
  }
}

function formatArray(items: readonly Reply[], prefix: string): string {
  if (items.length === 0) return '(empty array)\n';
  const idxLen = String(items.length).length;
  const childPrefix = prefix + ' '.repeat(idxLen + 2);
  let out = '';
  items.forEach((item, i) => {
    out += `${i === 0 ? '' : prefix}${String(i + 1).padStart(idxLen, ' ')}) `;
    out += formatTty(item, childPrefix);
  });
  return out;
}

function unreachableReply(x: never): never {
  throw new Error(`unreachable reply ${JSON.stringify(x)}`);
}
