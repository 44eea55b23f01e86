/** One dispatched Server-Sent Event. */
export interface SseEvent {
  /** The `event` field; 'message' when the event named none. */
  type: string;
  /** The `data` lines joined with '\n'. */
  data: string;
  /**
   * The `id` field of this event, or undefined when it had no `id` line. (Unlike EventSource,
   * the id is not carried over to later events: the caller keeps its own cursor.)
   */
  id: string | undefined;
}

export interface SseHandlers {
  event(event: SseEvent): void;
  /** A `:` line, without the colon (e.g. ' keep-alive'). */
  comment?(text: string): void;
}

/** A line or event larger than the parser will buffer: the stream is broken, not slow. */
export class SseOverflowError extends Error {
  override name = 'SseOverflowError';
}

export interface SseParser {
  /** Feeds the next bytes of the stream; chunks may split lines and UTF-8 characters anywhere. */
  push(bytes: Uint8Array): void;
}

const DEFAULT_MAX_BUFFER = 1024 * 1024;

/**
 * The event-stream format of the HTML standard (§9.2.6): lines end with CRLF, LF or CR; a blank
 * line dispatches the event; a line starting with ':' is a comment; `field: value` loses one
 * space after the colon. A leading BOM is dropped (TextDecoder's default). Throws
 * SseOverflowError once a line, or an event's data, passes `maxBuffer` characters.
 */
export function createSseParser(handlers: SseHandlers, { maxBuffer = DEFAULT_MAX_BUFFER } = {}): SseParser {
  const decoder = new TextDecoder('utf-8');
  let partial = '';
  // A chunk that ended in CR: an LF starting the next chunk belongs to the same line break.
  let skipLeadingLf = false;
  let type = '';
  let data: string[] = [];
  let dataLength = 0;
  let id: string | undefined;

  const dispatch = () => {
    if (data.length > 0) handlers.event({ type: type || 'message', data: data.join('\n'), id });
    type = '';
    data = [];
    dataLength = 0;
    id = undefined;
  };

  const line = (text: string) => {
    if (text === '') return dispatch();
    if (text.startsWith(':')) return handlers.comment?.(text.slice(1));
    const colon = text.indexOf(':');
    const field = colon === -1 ? text : text.slice(0, colon);
    let value = colon === -1 ? '' : text.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') type = value;
    else if (field === 'data') {
      dataLength += value.length + 1;
      if (dataLength > maxBuffer) throw new SseOverflowError('An event-stream event is too large.');
      data.push(value);
    } else if (field === 'id' && !value.includes('\0')) id = value;
    // `retry` and unknown fields are ignored: the caller owns its reconnection policy.
  };

  const text = (chunk: string) => {
    if (chunk === '') return; // only part of a UTF-8 character so far
    let start = 0;
    if (skipLeadingLf && chunk.startsWith('\n')) start = 1;
    skipLeadingLf = false;
    for (;;) {
      const end = nextBreak(chunk, start);
      if (end === -1) break;
      line(partial + chunk.slice(start, end));
      partial = '';
      if (chunk[end] === '\r') {
        if (end + 1 === chunk.length) {
          skipLeadingLf = true;
          start = end + 1;
          break;
        }
        start = chunk[end + 1] === '\n' ? end + 2 : end + 1;
      } else {
        start = end + 1;
      }
    }
    partial += chunk.slice(start);
    if (partial.length > maxBuffer) throw new SseOverflowError('An event-stream line is too long.');
  };

  return {
    push(bytes) {
      text(decoder.decode(bytes, { stream: true }));
    },
  };
}

/** The index of the next CR or LF at or after `from`, or -1. */
function nextBreak(text: string, from: number): number {
  const cr = text.indexOf('\r', from);
  const lf = text.indexOf('\n', from);
  if (cr === -1) return lf;
  if (lf === -1) return cr;
  return Math.min(cr, lf);
}
