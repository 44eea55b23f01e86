/** A batch larger than this is written at once rather than at the end of the turn. */
const MAX_PENDING = 64 * 1024;

export interface BatchedOutput {
  write(line: string): boolean;
  /** Writes what is pending now. */
  flush(): void;
}

/**
 * The server's log lines, written to `out` once per turn of the event loop instead of once per
 * line. Under load a turn completes several requests, each with its request line; a write to
 * stdout is a system call, and with one per line the log cost the open route a fifth of its
 * CPU in kernel time (docs/performance.md). Lines keep their order, and the pending ones are
 * written when the process exits, however it exits short of SIGKILL: `process.exit`, a fatal
 * error, an uncaught exception. What a SIGKILL can lose is the current turn's lines.
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
    flush,
  };
}
