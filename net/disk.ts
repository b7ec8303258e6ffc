// What a state machine may ask of a disk. One flat directory per node (names are plain
// file names, no slashes). Durability follows POSIX as practised on Linux:
// - `write`/`append` data is volatile until `fsync` of that file returns;
// - creating, renaming and deleting a name is volatile until `fsyncDir` returns;
//   so a file created and fsynced but whose directory was never synced may vanish at a
//   crash, and a rename is atomic-and-durable only after `fsyncDir`.
// Implementations: sim/disk.ts (faults, crashes) and real/disk.ts (node:fs with fsync).
// Both pass the one contract suite in test/contracts/disk-contract.ts.

export const fileNameBytesMax = 255;
export const diskReadBytesMax = 64 * 1024 * 1024;

export type DiskOp =
  /** Write `data` at `offset`, creating the file if missing (a directory change). */
  | { readonly op: 'write'; readonly file: string; readonly offset: number; readonly data: Uint8Array }
  /** Append `data` at the end, creating the file if missing. Result carries the offset written at. */
  | { readonly op: 'append'; readonly file: string; readonly data: Uint8Array }
  | { readonly op: 'fsync'; readonly file: string }
  | { readonly op: 'fsyncDir' }
  /** Read `length` bytes from `offset` (whole file when both omitted); short at end of file. */
  | { readonly op: 'read'; readonly file: string; readonly offset?: number; readonly length?: number }
  | { readonly op: 'size'; readonly file: string }
  | { readonly op: 'truncate'; readonly file: string; readonly length: number }
  /** Atomic replace of `to` by `from` (durable only after fsyncDir). */
  | { readonly op: 'rename'; readonly from: string; readonly to: string }
  | { readonly op: 'delete'; readonly file: string }
  /** Names in the directory, sorted (byte order) so callers iterate deterministically. */
  | { readonly op: 'list' };

export type DiskErrorCode =
  | 'ENOENT' // no such file
  | 'ENOSPC' // disk full
  | 'EIO' // device error (the simulator injects these)
  | 'EINVAL'; // bad argument (bad name, negative offset, read too large)

export type DiskResult =
  | { readonly ok: true; readonly data?: Uint8Array; readonly size?: number; readonly offset?: number; readonly names?: readonly string[] }
  | { readonly ok: false; readonly code: DiskErrorCode; readonly message: string };

/** A disk as the drivers and the contract suite see it. */
export interface Disk {
  exec(op: DiskOp): Promise<DiskResult>;
}

export function validFileName(name: string): boolean {
  return (
    name.length > 0 &&
    name.length <= fileNameBytesMax &&
    name !== '.' &&
    name !== '..' &&
    !name.includes('/') &&
    !name.includes('\0')
  );
}

export function diskError(code: DiskErrorCode, message: string): DiskResult {
  return { ok: false, code, message };
}
