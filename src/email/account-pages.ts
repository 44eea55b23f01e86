/**
 * The three pages the mailed links open, for deployments without an app of their own: plain
 * HTML, one stylesheet, one script, all from Tessera under a strict CSP. The token stays in the
 * query string for the script to read and POST; the page never writes it anywhere.
 */
export const PAGES_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

const shell = (page: string, title: string, body: string) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title}</title>
<link rel="stylesheet" href="/assets/account.css">
<script src="/assets/account.js" defer></script>
</head>
<body data-page="${page}">
<main>
<h1>${title}</h1>
${body}
<p id="status" role="status" aria-live="polite"></p>
<p id="error" role="alert" hidden></p>
</main>
</body>
</html>
`;

export const PAGES = {
  '/verify-email': shell(
    'verify-email',
    'Confirm your email address',
    `<form id="form">
<p>Press the button to confirm that this address is yours.</p>
<button type="submit">Confirm my address</button>
</form>`,
  ),
  '/reset-password': shell(
    'reset-password',
    'Choose a new password',
    `<form id="form">
<p>After this, every device logged in to your account is logged out.</p>
<label for="password">New password</label>
<input id="password" name="password" type="password" autocomplete="new-password" minlength="8" maxlength="128" required aria-describedby="password-help password-error">
<p id="password-help" class="help">At least 8 characters; not a common password, and not your email name.</p>
<label for="confirm">New password, again</label>
<input id="confirm" name="confirm" type="password" autocomplete="new-password" required aria-describedby="password-error">
<p id="password-error" class="field-error" role="alert" hidden></p>
<button type="submit">Set the new password</button>
</form>`,
  ),
  '/confirm-email': shell(
    'confirm-email',
    'Confirm your new email address',
    `<form id="form">
<p>Press the button to move your account to this new address.</p>
<button type="submit">Confirm the new address</button>
</form>`,
  ),
} as const;

export const PAGES_CSS = `:root { color-scheme: light dark; font-family: system-ui, sans-serif; line-height: 1.5; }
main { max-width: 28rem; margin: 3rem auto; padding: 0 1rem; }
h1 { font-size: 1.5rem; }
label { display: block; margin-top: 1rem; font-weight: 600; }
input { display: block; width: 100%; box-sizing: border-box; padding: 0.5rem; font: inherit; margin-top: 0.25rem; }
button { margin-top: 1.25rem; padding: 0.6rem 1rem; font: inherit; cursor: pointer; }
button:disabled { cursor: not-allowed; opacity: 0.6; }
:focus-visible { outline: 3px solid #2563eb; outline-offset: 2px; }
.help { font-size: 0.9rem; margin: 0.25rem 0 0; }
.field-error, [role="alert"] { color: #b91c1c; }
@media (prefers-color-scheme: dark) { .field-error, [role="alert"] { color: #fca5a5; } }
`;

/** Runs in the browser: reads the token, POSTs it, says what happened. textContent only: nothing is parsed as HTML. */
export const PAGES_JS = `'use strict';
(function () {
  var page = document.body.dataset.page;
  var token = new URLSearchParams(location.search).get('token');
  // Out of the address bar and history once read; it is a one-time secret.
  if (token) history.replaceState(null, '', location.pathname);
  var form = document.getElementById('form');
  var status = document.getElementById('status');
  var error = document.getElementById('error');
  var button = form.querySelector('button');
  function fail(text) { error.textContent = text; error.hidden = false; status.textContent = ''; }
  if (!token) { fail('This link is incomplete. Open the whole link from the mail, or ask for a new one.'); button.disabled = true; return; }
  var endpoints = { 'verify-email': '/api/auth/email/verify', 'reset-password': '/api/auth/password/reset', 'confirm-email': '/api/auth/email/change/confirm' };
  var done = {
    'verify-email': function (body) { return 'Thank you: ' + body.user.email + ' is confirmed. You can close this page and log in.'; },
    'reset-password': function () { return 'Your new password is set, and every session was logged out. Log in with the new password.'; },
    'confirm-email': function (body) { return 'Done: your account now uses ' + body.user.email + '.'; }
  };
  form.addEventListener('submit', function (event) {
    event.preventDefault();
    error.hidden = true;
    var body = { token: token };
    if (page === 'reset-password') {
      var password = document.getElementById('password');
      var fieldError = document.getElementById('password-error');
      fieldError.hidden = true;
      password.removeAttribute('aria-invalid');
      if (password.value !== document.getElementById('confirm').value) {
        fieldError.textContent = 'The two passwords differ.';
        fieldError.hidden = false;
        password.setAttribute('aria-invalid', 'true');
        password.focus();
        return;
      }
      body.newPassword = password.value;
    }
    button.disabled = true;
    status.textContent = 'Working…';
    fetch(endpoints[page], { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), credentials: 'same-origin' })
      .then(function (res) {
        var parsed = res.status === 204 ? Promise.resolve({}) : res.json().catch(function () { return {}; });
        return parsed.then(function (json) { return { res: res, json: json }; });
      })
      .then(function (r) {
        if (r.res.ok) { form.hidden = true; status.textContent = done[page](r.json); return; }
        button.disabled = false;
        status.textContent = '';
        var code = r.json.code;
        if (code === 'invalid_link') fail('This link has expired or was already used. Ask for a new one.');
        else if (code === 'validation_failed' && page === 'reset-password') {
          var field = document.getElementById('password-error');
          field.textContent = (r.json.errors || []).map(function (e) { return e.message; }).join(' ') || r.json.detail;
          field.hidden = false;
          document.getElementById('password').setAttribute('aria-invalid', 'true');
          document.getElementById('password').focus();
        } else if (code === 'email_taken') fail('That address now belongs to another account, so yours was not changed.');
        else if (code === 'rate_limited') fail('Too many attempts. Wait a little and try again.');
        else fail('That did not work (' + (r.json.detail || r.res.status) + '). Try again later.');
      })
      .catch(function () { button.disabled = false; fail('The server could not be reached. Check your connection and try again.'); });
  });
})();
`;
