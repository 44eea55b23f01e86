import { DomainError } from '../lib/errors.ts';

/**
 * Runs `work` and counts its outcome in /metrics: `label(result)` ('success' by default), or the
 * error's code (then the error goes on).
 */
export async function counted<T>(count: (outcome: string) => void, work: () => Promise<T>, label: (result: T) => string = () => 'success') {
  try {
    const result = await work();
    count(label(result));
    return result;
  } catch (error) {
    count(error instanceof DomainError ? error.code : 'error');
    throw error;
  }
}
