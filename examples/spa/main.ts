/**
 * The example page: sign up, log in, call a resource server, list the sessions, log out, with
 * tessera-auth/client in cookie mode. No framework; site.ts bundles this file with the client.
 */
import { createTesseraClient } from '../../src/client/index.ts';
import type { SpaConfig } from './site.ts';

interface SessionRow {
  id: string;
  createdAt: string;
  lastUsedAt: string;
  userAgent: string | null;
  current: boolean;
}

const served = (await (await fetch('config.json')).json()) as SpaConfig;
// Relative URLs (the one-origin layout) are relative to this page.
const config: SpaConfig = {
  ...served,
  authUrl: new URL(served.authUrl || '/', location.href).origin,
  apiUrl: new URL(served.apiUrl, location.href).href.replace(/\/+$/, ''),
};

const element = (id: string): HTMLElement => {
  const found = document.getElementById(id);
  if (!found) throw new Error(`#${id} is missing from index.html`);
  return found;
};
const input = (id: string) => element(id) as HTMLInputElement;

/** Why a session ended, in words, per the code the client reports. */
const ENDED: Record<string, string> = {
  logged_out: 'You logged out in another tab.',
  cookies_refused:
    'This browser refused the session cookies, so the session cannot outlive this page. Serve the page and Tessera from one site (see examples/spa/README.md).',
  refresh_reused: 'This session was ended: its refresh token was presented twice.',
  token_expired: 'Your session has expired. Log in again.',
};

/** Every code onSessionEnded reported, in order (the browser tests read it). */
const ended: string[] = [];
let loggingOut = false;

const tessera = createTesseraClient({
  baseUrl: config.authUrl,
  transport: 'cookie',
  apiOrigins: [config.apiUrl],
  onSessionEnded(code) {
    ended.push(code ?? 'unknown');
    if (loggingOut) return;
    signedOut(ENDED[code ?? ''] ?? `Your session has ended (${code ?? 'no reason given'}). Log in again.`);
  },
});

// For the console (and the browser tests): spa.tessera.refresh(), spa.ended, …
Object.assign(globalThis, { spa: { tessera, config, ended } });

const say = (text: string) => {
  element('message').textContent = text;
};

async function failure(res: Response): Promise<Error> {
  const body = (await res.json().catch(() => ({}))) as { code?: string; detail?: string };
  return new Error(`${res.status} ${body.code ?? ''}: ${body.detail ?? res.statusText}`);
}

function signedOut(text = '') {
  document.body.dataset.state = 'signed-out';
  element('orders').textContent = '';
  element('sessions').replaceChildren();
  say(text);
}

async function signedIn(email: string) {
  element('who').textContent = email;
  document.body.dataset.state = 'signed-in';
  say('');
  await Promise.all([loadOrders(), loadSessions()]);
}

async function loadOrders() {
  const res = await tessera.fetch(`${config.apiUrl}/orders`);
  const body = (await res.json().catch(() => ({}))) as { for?: string; orders?: unknown[]; code?: string };
  const lines = body.orders ? [`for user ${body.for}`, ...body.orders.map((order) => JSON.stringify(order))] : [JSON.stringify(body)];
  element('orders').textContent = [`${res.status} ${res.statusText}`, ...lines].join('\n');
}

const cell = (text: string) => {
  const td = document.createElement('td');
  td.textContent = text;
  return td;
};
const time = (iso: string) => new Date(iso).toLocaleTimeString();
const browser = (ua: string | null) => ua?.match(/(Firefox|Edg|Chrome|Safari)\/[\d.]+/)?.[0] ?? ua ?? 'unknown';

async function loadSessions() {
  const res = await tessera.fetch('/api/auth/sessions');
  if (!res.ok) return say(`GET /api/auth/sessions: ${(await failure(res)).message}`);
  const { sessions } = (await res.json()) as { sessions: SessionRow[] };
  element('sessions').replaceChildren(
    ...sessions.map((s) => {
      const tr = document.createElement('tr');
      if (s.current) tr.className = 'current';
      tr.append(cell(`…${s.id.slice(-8)}`), cell(time(s.createdAt)), cell(time(s.lastUsedAt)), cell(browser(s.userAgent)));
      return tr;
    }),
  );
}

async function login() {
  const tokens = await tessera.login(input('email').value, input('password').value);
  input('password').value = '';
  await signedIn(tokens.user.email);
}

async function signup() {
  const res = await fetch(`${config.authUrl}/api/auth/signup`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email: input('email').value, password: input('password').value }),
  });
  if (!res.ok) throw await failure(res);
  await login();
}

async function logout() {
  loggingOut = true;
  try {
    await tessera.logout();
  } finally {
    loggingOut = false;
  }
  signedOut('You logged out.');
}

/** Runs a button's action with the buttons disabled, and shows what went wrong. */
function action(run: () => Promise<void>) {
  return () => {
    const buttons = [...document.querySelectorAll('button')];
    for (const b of buttons) b.disabled = true;
    run()
      .catch((error: unknown) => say(error instanceof Error ? error.message : String(error)))
      .finally(() => {
        for (const b of buttons) b.disabled = false;
      });
  };
}

element('credentials').addEventListener('submit', (event) => {
  event.preventDefault();
  action(login)();
});
element('signup').addEventListener('click', action(signup));
element('orders-button').addEventListener('click', action(loadOrders));
element('sessions-button').addEventListener('click', action(loadSessions));
element('logout').addEventListener('click', action(logout));

/** The csrf_token cookie is readable here when the page shares the API's host, or COOKIE_DOMAIN covers both. */
const CSRF_COOKIE = /(?:^|;\s*)(?:__Host-|__Secure-)?csrf_token=/;

/** After a reload the access token is gone: one refresh (by cookie) gets a new one. */
async function resume() {
  if (!CSRF_COOKIE.test(document.cookie)) return signedOut();
  await tessera.refresh();
  const res = await tessera.fetch('/api/auth/me');
  if (!res.ok) throw await failure(res);
  const { user } = (await res.json()) as { user: { email: string } };
  await signedIn(user.email);
}

element('layout').textContent =
  `${config.layout}: this page ${location.origin}, Tessera ${config.authUrl}, resource server ${config.apiUrl}`;
element('orders-url').textContent = `${config.apiUrl}/orders`;
resume().catch((error: unknown) => {
  // A refused refresh has already been reported through onSessionEnded.
  if (document.body.dataset.state === 'loading') signedOut(error instanceof Error ? error.message : String(error));
});
