// Placeholder-free: the HTML timeline is not built yet, so --html says so clearly.
import type { RunArtifacts } from './scenario';

export function renderTimeline(_art: RunArtifacts): string {
  throw new Error('the HTML timeline is not implemented yet (issue 4)');
}
