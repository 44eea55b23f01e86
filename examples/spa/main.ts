/**
 * The example page: sign up, log in (with a second factor when the account has one), call a
 * resource server, list the sessions, turn two-factor authentication on and off, log out, with
 * tessera-auth/client in cookie mode. No framework; site.ts bundles this file with the client.
 */
import { createTesseraClient, TesseraError } from '../../src/client/index.ts';
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
/** The mfaToken of a login waiting for its second factor. */
let challenge: string | undefined;

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

/** What the page shows: body[data-state] picks the section (style.css). */
type PageState = 'loading' | 'signed-out' | 'second-step' | 'signed-in';
const show = (state: PageState) => {
  document.body.dataset.state = state;
};
const say = (text: string) => {
  element('message').textContent = text;
};
/** Errors go to the role="alert" region, which screen readers announce as it changes. */
const showError = (text: string) => {
  element('alert').textContent = text;
};

/** Words for the errors a user can act on; any other shows as it came. */
const PROBLEMS: Record<string, string> = {
  invalid_mfa_code: 'That code is wrong, expired or already used. Enter the current code from your app, or a recovery code.',
  rate_limited: 'Too many wrong attempts. Wait a few minutes, then try again.',
};
const describe = (error: unknown) =>
  error instanceof TesseraError
    ? (PROBLEMS[error.code ?? ''] ?? `${error.status} ${error.code ?? ''}: ${error.message}`)
    : error instanceof Error
      ? error.message
      : String(error);

async function failure(res: Response): Promise<TesseraError> {
  const body = (await res.json().catch(() => ({}))) as { code?: string; detail?: string };
  return new TesseraError(res.status, body.code, body.detail ?? res.statusText);
}

/** A call to Tessera with the access token, JSON in and out (nothing for a 204). */
async function call<T = undefined>(method: string, path: string, body?: object): Promise<T> {
  const res = await tessera.fetch(path, {
    method,
    ...(body ? { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) } : {}),
  });
  if (!res.ok) throw await failure(res);
  return (res.status === 204 ? undefined : await res.json()) as T;
}

function signedOut(text = '') {
  show('signed-out');
  challenge = undefined;
  element('orders').textContent = '';
  element('sessions').replaceChildren();
  showMfa('off');
  say(text);
  showError('');
}

async function signedIn() {
  const { user } = await call<{ user: { email: string; mfaEnabled: boolean } }>('GET', '/api/auth/me');
  element('who').textContent = user.email;
  showMfa(user.mfaEnabled ? 'on' : 'off');
  show('signed-in');
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
  const answer = await tessera.login(input('email').value, input('password').value);
  input('password').value = '';
  if (!answer.mfaRequired) return signedIn();
  challenge = answer.mfaToken;
  show('second-step');
  say('');
  input('login-code').value = '';
  input('login-code').focus();
}

/** The second step: a code from the app or a recovery code finishes the login. */
async function verifyCode() {
  try {
    await tessera.verifyMfa(challenge ?? '', input('login-code').value);
  } catch (error) {
    input('login-code').value = '';
    if (!(error instanceof TesseraError && error.code === 'invalid_token')) {
      input('login-code').focus();
      throw error;
    }
    // The mfaToken lasts 5 minutes and works once: start again from the password.
    signedOut();
    input('password').focus();
    throw new Error('This sign-in has expired. Log in again with your password.', { cause: error });
  }
  challenge = undefined;
  await signedIn();
}

function cancelSecondStep() {
  signedOut();
  input('password').focus();
}

/** Which part of the two-factor panel shows: the button to turn it on, enrolment, the new recovery codes, or turning it off. */
const MFA_VIEWS = { off: 'mfa-off', enrol: 'mfa-enrol', codes: 'mfa-codes', on: 'mfa-disable' } as const;
/** The object URL of the QR code on display. */
let qrUrl: string | undefined;
/** The password typed to start enrolment: confirming needs it again (recent authentication), then it is dropped. */
let enrolPassword: string | undefined;

function showMfa(view: keyof typeof MFA_VIEWS) {
  for (const [name, id] of Object.entries(MFA_VIEWS)) element(id).hidden = name !== view;
  element('mfa-status').textContent = view === 'on' || view === 'codes' ? 'on' : 'off';
  if (view !== 'enrol') {
    dropQrCode();
    enrolPassword = undefined;
  }
  input('mfa-password').value = '';
  // Recovery codes are shown once: gone when the user moves on.
  if (view !== 'codes') element('mfa-recovery-codes').replaceChildren();
}

function dropQrCode() {
  if (qrUrl) URL.revokeObjectURL(qrUrl);
  qrUrl = undefined;
  element('mfa-qr').removeAttribute('src');
  element('mfa-secret').textContent = '';
}

/** On a wrong code, empties the field and puts the cursor back for another try. */
async function withCode(id: string, run: (code: string) => Promise<void>) {
  try {
    await run(input(id).value);
  } catch (error) {
    input(id).value = '';
    input(id).focus();
    throw error;
  }
}

async function startMfa() {
  const currentPassword = input('mfa-password').value;
  const pending = await call<{ secret: string; qrCodeSvg: string }>('POST', '/api/auth/mfa/totp/setup', { currentPassword });
  showMfa('enrol');
  enrolPassword = currentPassword;
  // The SVG is Tessera's: shown as an image (no scripts, no access to the page), never put into the DOM.
  qrUrl = URL.createObjectURL(new Blob([pending.qrCodeSvg], { type: 'image/svg+xml' }));
  (element('mfa-qr') as HTMLImageElement).src = qrUrl;
  element('mfa-secret').textContent = pending.secret.replace(/.{4}(?=.)/g, '$& ');
  input('mfa-code').value = '';
  input('mfa-code').focus();
}

const confirmMfa = () =>
  withCode('mfa-code', async (code) => {
    const { recoveryCodes } = await call<{ recoveryCodes: string[] }>('POST', '/api/auth/mfa/totp/confirm', {
      code,
      currentPassword: enrolPassword,
    });
    showMfa('codes');
    element('mfa-recovery-codes').replaceChildren(
      ...recoveryCodes.map((recoveryCode) => {
        const li = document.createElement('li');
        li.textContent = recoveryCode;
        return li;
      }),
    );
    element('mfa-codes-note').focus();
    await loadSessions(); // turning MFA on ended every other session
  });

const disableMfa = () =>
  withCode('mfa-disable-code', async (code) => {
    await call('DELETE', '/api/auth/mfa/totp', { code });
    input('mfa-disable-code').value = '';
    showMfa('off');
    say('Two-factor authentication is off.');
    await loadSessions(); // turning MFA off ended every other session
  });

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
    showError('');
    run()
      .catch((error: unknown) => showError(describe(error)))
      .finally(() => {
        for (const b of buttons) b.disabled = false;
      });
  };
}

const onSubmit = (id: string, run: () => Promise<void>) =>
  element(id).addEventListener('submit', (event) => {
    event.preventDefault();
    action(run)();
  });
onSubmit('credentials', login);
onSubmit('second-step-form', verifyCode);
onSubmit('mfa-off', startMfa);
onSubmit('mfa-enrol', confirmMfa);
onSubmit('mfa-disable', disableMfa);
element('signup').addEventListener('click', action(signup));
element('verify-cancel').addEventListener('click', cancelSecondStep);
element('orders-button').addEventListener('click', action(loadOrders));
element('sessions-button').addEventListener('click', action(loadSessions));
element('logout').addEventListener('click', action(logout));
element('mfa-cancel').addEventListener('click', () => showMfa('off'));
element('mfa-codes-done').addEventListener('click', () => showMfa('on'));

/** The csrf_token cookie is readable here when the page shares the API's host, or COOKIE_DOMAIN covers both. */
const CSRF_COOKIE = /(?:^|;\s*)(?:__Host-|__Secure-)?csrf_token=/;

/** After a reload the access token is gone: one refresh (by cookie) gets a new one. */
async function resume() {
  if (!CSRF_COOKIE.test(document.cookie)) return signedOut();
  await tessera.refresh();
  await signedIn();
}

element('layout').textContent =
  `${config.layout}: this page ${location.origin}, Tessera ${config.authUrl}, resource server ${config.apiUrl}`;
element('orders-url').textContent = `${config.apiUrl}/orders`;
resume().catch((error: unknown) => {
  // A refused refresh has already been reported through onSessionEnded.
  if (document.body.dataset.state === 'loading') signedOut(error instanceof Error ? error.message : String(error));
});
