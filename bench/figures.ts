/** One named benchmark figure with its unit; every figure reported lands in bench/results.json. */
export interface Figure {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
}
