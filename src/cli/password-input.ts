import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { CliError } from './context.ts';

/** Where the CLI reads a password from and writes its prompts to (process.stdin / process.stderr). */
export interface CliInput {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  /** Prompts go here, never to stdout, whose lines a script may be reading. */
  prompts: NodeJS.WritableStream;
}

/** The first line of `stdin`, without its line ending; the rest of the stream is left unread. */
export async function readFirstLine(stdin: NodeJS.ReadableStream): Promise<string> {
  const lines = createInterface({ input: stdin, terminal: false, crlfDelay: Infinity });
  try {
    for await (const line of lines) return line;
  } finally {
    lines.close();
  }
  throw new CliError('--password-stdin: stdin ended before a line was read');
}

/**
 * Asks for a line on a terminal without showing what is typed: readline echoes through its
 * output, so that output is a stream that drops everything while `muted`. Ctrl-C or Ctrl-D cancel.
 */
function askHidden(input: CliInput, question: string): Promise<string> {
  let muted = false;
  const output = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      if (!muted) input.prompts.write(chunk);
      done();
    },
  });
  const lines = createInterface({ input: input.stdin, output, terminal: true });
  return new Promise<string>((resolve, reject) => {
    let answered = false;
    lines.on('SIGINT', () => lines.close());
    lines.on('close', () => {
      input.prompts.write('\n');
      if (!answered) reject(new CliError('no password given (cancelled)'));
    });
    lines.question(question, (answer) => {
      answered = true;
      resolve(answer);
      lines.close();
    });
    muted = true;
  });
}

/** Prompts twice on a terminal, without echo; the two must match. */
export async function promptNewPassword(input: CliInput): Promise<string> {
  const first = await askHidden(input, 'Password: ');
  const second = await askHidden(input, 'Password (again): ');
  if (first !== second) throw new CliError('the two passwords do not match; nothing was created');
  return first;
}

/**
 * A new user's password, never from argv (it would show in `ps` and shell history): the first
 * line of stdin with `--password-stdin`, else a prompt when stdin is a terminal.
 */
export async function readNewPassword(input: CliInput, fromStdin: boolean): Promise<string> {
  if (fromStdin) return readFirstLine(input.stdin);
  if (input.stdin.isTTY) return promptNewPassword(input);
  throw new CliError(
    'no password: stdin is not a terminal to prompt on; pipe the password with --password-stdin, or import a hash with --password-hash',
  );
}

/** What `--password P` gets: refused, because by then the password is already in `ps`. */
export const PASSWORD_ON_ARGV =
  '--password is not accepted: a password on the command line shows in `ps` and in shell history. Use --password-stdin (the first line of stdin), or leave it out to be prompted in a terminal; nothing was created';
