import type { Express, Response } from 'express';

/**
 * `res.json` for this app only (app.response), doing what Express's json() + send() do for the
 * responses Tessera sends, without the rest: send() re-reads the app's settings, parses and
 * re-formats the Content-Type it just set, looks for an ETag function (disabled here) and
 * checks freshness: 4 % of the open route's instructions (864k → 831k a request, counted under
 * callgrind, docs/performance.md). Any response outside the common case goes to Express's own json():
 * a Content-Type already set (problem+json), a status without a body (204, 205, 304), HEAD,
 * a conditional request, a Transfer-Encoding, a value JSON cannot represent. The app must not set
 * `json replacer`, `json spaces` or `json escape`; json-response.test.ts holds the two equal.
 */
export function useLeanJson(app: Express): void {
  for (const setting of ['json replacer', 'json spaces', 'json escape']) {
    if (app.get(setting) !== undefined) throw new Error(`useLeanJson: the app sets '${setting}'`);
  }
  const expressJson = app.response.json;
  app.response.json = function json(this: Response, body?: unknown): Response {
    const status = this.statusCode;
    const headers = this.req.headers;
    if (
      status === 204 ||
      status === 205 ||
      status === 304 ||
      this.req.method === 'HEAD' ||
      this.hasHeader('content-type') ||
      this.hasHeader('transfer-encoding') ||
      // A conditional request: Express's send() checks freshness and may answer 304.
      headers['if-none-match'] !== undefined ||
      headers['if-modified-since'] !== undefined
    ) {
      return expressJson.call(this, body);
    }
    const text: string | undefined = body === undefined ? undefined : JSON.stringify(body);
    if (text === undefined) return expressJson.call(this, body);
    this.setHeader('Content-Type', 'application/json; charset=utf-8');
    this.setHeader('Content-Length', String(Buffer.byteLength(text)));
    this.end(text, 'utf8');
    return this;
  };
}
