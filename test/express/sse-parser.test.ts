import { describe, expect, it } from 'vitest';
import { createSseParser, SseOverflowError, type SseEvent } from '../../src/express/sse-parser.ts';

/** Parses `chunks` (strings are UTF-8 encoded; byte arrays go in as they are) and returns what came out. */
function parse(chunks: (string | Uint8Array)[], options?: { maxBuffer?: number }) {
  const events: SseEvent[] = [];
  const comments: string[] = [];
  const parser = createSseParser({ event: (event) => events.push(event), comment: (text) => comments.push(text) }, options);
  for (const chunk of chunks) parser.push(typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk);
  return { events, comments };
}

/** The stream cut into pieces of `size` bytes, so boundaries fall inside lines and characters. */
function slices(text: string, size: number): Uint8Array[] {
  const bytes = new TextEncoder().encode(text);
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}

const STREAM =
  'retry: 2000\n\n' +
  ': keep-alive\n\n' +
  'id: 1\nevent: revocation\ndata: {"kind":"sid","id":"sé-1 ✓ 🔑"}\n\n' +
  'event: ready\ndata: {"seq": 1}\n\n';

const EXPECTED: SseEvent[] = [
  { type: 'revocation', data: '{"kind":"sid","id":"sé-1 ✓ 🔑"}', id: '1' },
  { type: 'ready', data: '{"seq": 1}', id: undefined },
];

describe('the event-stream parser', () => {
  it('reads events, ids, types and comments', () => {
    const { events, comments } = parse([STREAM]);
    expect(events).toEqual(EXPECTED);
    expect(comments).toEqual([' keep-alive']);
  });

  it('gives the same events whatever the chunk boundaries, inside lines and inside multi-byte characters', () => {
    for (const size of [1, 2, 3, 5, 7, 13]) {
      expect(parse(slices(STREAM, size)).events, `chunks of ${size} bytes`).toEqual(EXPECTED);
    }
  });

  it('keeps a character split between chunks whole', () => {
    const bytes = new TextEncoder().encode('data: 🔑\n\n');
    const { events } = parse([bytes.subarray(0, 8), bytes.subarray(8, 9), bytes.subarray(9)]);
    expect(events).toEqual([{ type: 'message', data: '🔑', id: undefined }]);
  });

  it('accepts CRLF, CR and LF line ends, also when a CRLF is split between chunks', () => {
    const crlf = STREAM.replace(/\n/g, '\r\n');
    const cr = STREAM.replace(/\n/g, '\r');
    expect(parse([crlf]).events).toEqual(EXPECTED);
    expect(parse([cr]).events).toEqual(EXPECTED);
    for (const size of [1, 2, 3]) expect(parse(slices(crlf, size)).events).toEqual(EXPECTED);
    // CR at the end of one chunk, LF at the start of the next: one line break, not a blank line.
    expect(parse(['data: a\r', '\ndata: b\r', '\n\r\n']).events).toEqual([{ type: 'message', data: 'a\nb', id: undefined }]);
  });

  it('joins multi-line data with \\n and strips only one space after the colon', () => {
    const { events } = parse(['data:one\ndata:  two\ndata\ndata: \n\n']);
    expect(events).toEqual([{ type: 'message', data: 'one\n two\n\n', id: undefined }]);
  });

  it('dispatches nothing for an event without data, and resets the type and id after each event', () => {
    const { events } = parse(['event: ready\nid: 7\n\n', 'data: x\n\n', 'id: 8\nevent: a\ndata: y\n\ndata: z\n\n']);
    expect(events).toEqual([
      { type: 'message', data: 'x', id: undefined },
      { type: 'a', data: 'y', id: '8' },
      { type: 'message', data: 'z', id: undefined },
    ]);
  });

  it('ignores unknown fields, retry, an id holding NUL, and a last event not ended by a blank line', () => {
    const { events } = parse(['foo: bar\nretry: 10\nid: a\0b\ndata: x\n\n', 'data: unfinished\n']);
    expect(events).toEqual([{ type: 'message', data: 'x', id: undefined }]);
  });

  it('drops a leading byte-order mark', () => {
    expect(parse(['\uFEFFdata: x\n\n']).events).toEqual([{ type: 'message', data: 'x', id: undefined }]);
  });

  it('refuses to buffer an endless line or event', () => {
    expect(() => parse(['data: ' + 'x'.repeat(100)], { maxBuffer: 50 })).toThrow(SseOverflowError);
    expect(() => parse([`${'data: xxxxxxxxxx\n'.repeat(10)}`], { maxBuffer: 50 })).toThrow(SseOverflowError);
    expect(parse(['data: ' + 'x'.repeat(40) + '\n\n'], { maxBuffer: 50 }).events).toHaveLength(1);
  });
});
