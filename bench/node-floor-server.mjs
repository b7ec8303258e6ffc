// The floor of a Node.js RESP server, for bench/redis-compare.ts: it frames requests (RESP
// multibulk) and answers each with `$-1` (a GET miss), doing nothing else — no store, no
// durability, no metrics. What it costs per request is what any Node.js server pays for the
// event loop, the socket layer and the system calls; Keepsake's figures sit on top of it.
//   node bench/node-floor-server.mjs <port>
import net from 'node:net';

const port = Number(process.argv[2]);
const MISS = Buffer.from('$-1\r\n');

/** Complete commands in `buf` from `pos`; returns [count, position after the last complete one]. */
function frame(buf, pos) {
  let count = 0;
  let at = pos;
  outer: for (;;) {
    if (at >= buf.length || buf[at] !== 0x2a) break; // '*'
    let p = at + 1;
    let n = 0;
    while (p < buf.length && buf[p] !== 0x0d) n = n * 10 + (buf[p++] - 48);
    if (p + 1 >= buf.length) break;
    p += 2;
    for (let i = 0; i < n; i++) {
      if (p >= buf.length || buf[p] !== 0x24) break outer; // '$'
      let len = 0;
      p += 1;
      while (p < buf.length && buf[p] !== 0x0d) len = len * 10 + (buf[p++] - 48);
      p += 2 + len + 2;
      if (p > buf.length) break outer;
    }
    count += 1;
    at = p;
  }
  return [count, at];
}

net
  .createServer((socket) => {
    socket.setNoDelay(true);
    let pending = null;
    socket.on('data', (chunk) => {
      const buf = pending === null ? chunk : Buffer.concat([pending, chunk]);
      const [count, end] = frame(buf, 0);
      pending = end < buf.length ? buf.subarray(end) : null;
      if (count === 1) socket.write(MISS);
      else if (count > 1) socket.write(Buffer.concat(Array(count).fill(MISS)));
    });
    socket.on('error', () => socket.destroy());
  })
  .listen(port, '127.0.0.1');
