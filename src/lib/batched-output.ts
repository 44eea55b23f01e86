/** A batch larger than this is written at once rather than at the end of the turn. */
const MAX_PENDING = 64 * 1024;

export interface BatchedOutput {
  write(line: string): boolean;
  /** Writes what is pending now; then calls `done` (pino's `logger.flush(cb)` passes one). */
  flush(done?: (error?: Error) => void): void;
}

/**
 * The server's log lines, written to `out` once per turn of the event loop instead of once per
 * line. Under load a turn completes several requests, each with its request line; a write to
 * stdout is a system call, and one per line cost the open route 40–70 µs of kernel time a
 * request on the bench machine (docs/performance.md). Lines keep their order, and the pending ones are
 * written when the process exits through Node's 'exit': the loop running out of work,
 * `process.exit` (every fatal path of server.ts), an uncaught exception. A signal the process
 * does not handle (SIGKILL, SIGHUP, a second SIGTERM, one during start-up) or V8 running out of
 * memory skips 'exit', and loses the lines of the turn it interrupts.
 */
export function batchedOutput(
  out: { write(chunk: string): unknown },
  onExit: (flush: () => void) => void = (flush) => process.on('exit', flush),
): BatchedOutput {
  let pending = '';
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (pending === '') return;
    const chunk = pending;
    pending = '';
    out.write(chunk);
  };
  onExit(flush);
  return {
    write(line) {
      pending += line;
      if (pending.length >= MAX_PENDING) flush();
      else if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
      return true;
    },
    flush(done) {
      flush();
      done?.();
    },
  };
}
