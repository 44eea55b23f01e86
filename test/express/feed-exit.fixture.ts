// Run in a child process by revocation-feed.test.ts, which checks that the process ends by itself:
// `close` waits for the stream to be current, then closes it; `down` leaves a stream that cannot
// connect (its retry timers must not keep the process alive).
import { findRevocationFeed } from '../../src/express/feed-registry.ts';
import { closeRevocationFeeds, requireAuth } from '../../src/express/index.ts';

const [url = '', mode = 'close'] = process.argv.slice(2);
const quiet = { info: () => {}, warn: () => {}, error: () => {} };
requireAuth({
  secret: 'x'.repeat(32),
  issuer: 'tessera',
  audience: 'tessera-api',
  revocations: { url, clientId: 'svc one', clientSecret: 's3cr:t+/=', logger: quiet, timing: { initialMs: 5, maxMs: 40 } },
});
const feed = findRevocationFeed(url, 'svc one');
const target = mode === 'close' ? 'current' : 'down';
while (feed?.state() !== target) await new Promise((resolve) => setTimeout(resolve, 5));
if (mode === 'close') await closeRevocationFeeds();
console.log(`done ${feed.state()}`);
