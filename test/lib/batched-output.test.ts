import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { batchedOutput } from '../../src/lib/batched-output.ts';

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

function sink() {
  const writes: string[] = [];
  let exitHook: (() => void) | undefined;
  const out = batchedOutput({ write: (chunk: string) => writes.push(chunk) }, (flush) => (exitHook = flush));
  return { out, writes, exit: () => exitHook?.() };
}

describe('batchedOutput', () => {
  it('writes the lines of one turn in one write, in order, at the end of the turn', async () => {
    const { out, writes } = sink();
    out.write('a\n');
    out.write('b\n');
    out.write('c\n');
    expect(writes).toEqual([]);
    await nextTurn();
    expect(writes).toEqual(['a\nb\nc\n']);
    out.write('d\n');
    await nextTurn();
    expect(writes).toEqual(['a\nb\nc\n', 'd\n']);
    await nextTurn();
    expect(writes).toHaveLength(2);
  });

  it('writes at once when a turn has piled up 64 KiB, and keeps the order', async () => {
    const { out, writes } = sink();
    const line = `${'x'.repeat(1023)}\n`;
    for (let i = 0; i < 64; i += 1) out.write(line);
    expect(writes).toHaveLength(1);
    expect(writes[0]).toHaveLength(64 * 1024);
    out.write('after\n');
    await nextTurn();
    expect(writes).toEqual([line.repeat(64), 'after\n']);
  });

  it('flush() and the exit hook write what is pending', () => {
    const { out, writes, exit } = sink();
    out.write('a\n');
    out.flush();
    out.write('b\n');
    exit();
    expect(writes).toEqual(['a\n', 'b\n']);
    // pino's logger.flush(cb) hands its callback on: it must be called.
    let called = false;
    out.write('c\n');
    out.flush(() => (called = true));
    expect(called).toBe(true);
    expect(writes).toEqual(['a\n', 'b\n', 'c\n']);
  });

  // A real process: the pending lines reach stdout however it ends, short of SIGKILL.
  for (const [how, status] of [
    ['end', 0],
    ['exit', 3],
    ['throw', 1],
  ] as const) {
    it(`a process that ends by ${how} writes its last lines`, () => {
      const child = spawnSync('node_modules/.bin/tsx', ['test/lib/fixtures/batched-exit.ts', how], { encoding: 'utf8' });
      expect(child.status).toBe(status);
      expect(child.stdout).toBe('line 1\nline 2\nline 3\n');
    });
  }

  it('SIGKILL loses the turn in progress (the documented limit)', () => {
    const child = spawnSync('node_modules/.bin/tsx', ['test/lib/fixtures/batched-exit.ts', 'kill'], { encoding: 'utf8' });
    // tsx reports its child's SIGKILL as exit status 137 (128 + 9).
    expect(child.signal ?? child.status).toBeOneOf(['SIGKILL', 137]);
    expect(child.stdout).toBe('');
  });
});
