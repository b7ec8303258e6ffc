// Named limits for the RESP codec. Defaults follow redis-server 7 (networking.c, config.c):
// each one is a tested error path, never a silent truncation.

/** Limits on what a client may send us (server side). */
export interface RespLimits {
  /** proto-max-bulk-len: longest bulk argument. Over it: "invalid bulk length". */
  readonly bulkBytesMax: number;
  /** Most arguments in one multibulk request. Over it: "invalid multibulk length". */
  readonly multibulkCountMax: number;
  /** PROTO_INLINE_MAX_SIZE: longest inline line, and longest `*N` / `$N` header line. */
  readonly inlineBytesMax: number;
  /** Before AUTH, most arguments in one request (redis 7: 10). */
  readonly unauthenticatedMultibulkCountMax: number;
  /** Before AUTH, longest bulk argument (redis 7: 16384). */
  readonly unauthenticatedBulkBytesMax: number;
  /** client-query-buffer-limit: most bytes one (incomplete or complete) request may occupy. */
  readonly queryBufferBytesMax: number;
}

export const defaultRespLimits: RespLimits = Object.freeze({
  bulkBytesMax: 512 * 1024 * 1024,
  multibulkCountMax: 1024 * 1024,
  inlineBytesMax: 64 * 1024,
  unauthenticatedMultibulkCountMax: 10,
  unauthenticatedBulkBytesMax: 16384,
  queryBufferBytesMax: 1024 * 1024 * 1024,
}) satisfies RespLimits;

/** Limits on what a server may send us (client side). */
export interface RespReplyLimits {
  readonly bulkBytesMax: number;
  /** Most elements in one array/set/push, or pairs in one map. */
  readonly aggregateCountMax: number;
  /** Deepest nesting of aggregates. */
  readonly depthMax: number;
  /** Longest simple/error/integer/double line. */
  readonly lineBytesMax: number;
}

export const defaultRespReplyLimits: RespReplyLimits = Object.freeze({
  bulkBytesMax: 512 * 1024 * 1024,
  aggregateCountMax: 16 * 1024 * 1024,
  depthMax: 128,
  lineBytesMax: 64 * 1024,
}) satisfies RespReplyLimits;

/** Smallest buffer we allocate when we must keep bytes across feeds. */
export const inputBufferBytesMin = 16 * 1024;
