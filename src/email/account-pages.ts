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

/**
 * Shown instead of the action when the link is spent, expired or cut short: a form that asks
 * the API for a new link. The API answers 202 whatever the address, and so does the page.
 */
const renewForm = (what: string) => `<form id="renew" hidden>
<h2>Ask for a new link</h2>
<p>Enter the address of your account, and we will send a new ${what} link if there is an account for it.</p>
<label for="renew-email">Email address</label>
<input id="renew-email" name="email" type="email" autocomplete="email" maxlength="254" required aria-describedby="renew-error">
<p id="renew-error" class="field-error" role="alert" hidden></p>
<button type="submit">Send a new link</button>
</form>`;

export const PAGES = {
  '/verify-email': shell(
    'verify-email',
    'Confirm your email address',
    `<form id="form">
<p>Press the button to confirm that this address is yours.</p>
<button type="submit">Confirm my address</button>
</form>
${renewForm('verification')}`,
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
</form>
${renewForm('password-reset')}`,
  ),
  '/confirm-email': shell(
    'confirm-email',
    'Confirm your new email address',
    `<form id="form">
<p>Press the button to move your account to this new address.</p>
<button type="submit">Confirm the new address</button>
</form>
<div id="renew" hidden>
<h2 tabindex="-1">Start the change again</h2>
<p>A new confirmation link is sent only when you ask for the change again: sign in to the app, change your email address there, and open the link mailed to the new address.</p>
</div>`,
  ),
} as const;

export const PAGES_CSS = `:root { color-scheme: light dark; font-family: system-ui, sans-serif; line-height: 1.5; }
main { max-width: 28rem; margin: 3rem auto; padding: 0 1rem; }
h1 { font-size: 1.5rem; }
h2 { font-size: 1.15rem; margin-top: 1.5rem; }
label { display: block; margin-top: 1rem; font-weight: 600; }
input { display: block; width: 100%; box-sizing: border-box; padding: 0.5rem; font: inherit; margin-top: 0.25rem; }
button { margin-top: 1.25rem; padding: 0.6rem 1rem; font: inherit; cursor: pointer; }
button:disabled { cursor: not-allowed; opacity: 0.6; }
:focus-visible { outline: 3px solid #2563eb; outline-offset: 2px; }
.help { font-size: 0.9rem; margin: 0.25rem 0 0; }
.field-error, [role="alert"] { color: #b91c1c; }
@media (prefers-color-scheme: dark) { .field-error, [role="alert"] { color: #fca5a5; } }
`;

/**
 * Runs in the browser: reads the token, POSTs it, says what happened; a dead link gives way to
 * the form that asks for a new one. textContent only: nothing is parsed as HTML.
 */
export const PAGES_JS = `'use strict';
(function () {
  var page = document.body.dataset.page;
  var token = new URLSearchParams(location.search).get('token');
  // Out of the address bar and history once read; it is a one-time secret.
  if (token) history.replaceState(null, '', location.pathname);
  var form = document.getElementById('form');
  var renew = document.getElementById('renew');
  var status = document.getElementById('status');
  var error = document.getElementById('error');
  var button = form.querySelector('button');
  function fail(text) { error.textContent = text; error.hidden = false; status.textContent = ''; }
  function post(url, body) {
    return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), credentials: 'same-origin' })
      .then(function (res) {
        var parsed = res.status === 204 ? Promise.resolve({}) : res.json().catch(function () { return {}; });
        return parsed.then(function (json) { return { res: res, json: json }; });
      });
  }
  // Shows (or, given '', clears) a field's own message: the element its aria-describedby names last.
  function fieldError(input, text) {
    var field = document.getElementById(input.getAttribute('aria-describedby').split(' ').pop());
    field.textContent = text;
    field.hidden = !text;
    if (text) { input.setAttribute('aria-invalid', 'true'); input.focus(); } else input.removeAttribute('aria-invalid');
  }
  var validationText = function (json) { return (json.errors || []).map(function (e) { return e.message; }).join(' ') || json.detail; };
  // This link can do nothing more: its button goes, and the way to a new link takes its place.
  function deadLink(text, focus) {
    form.hidden = true;
    fail(text);
    // The reason first, then the way out.
    renew.parentNode.insertBefore(error, renew);
    renew.hidden = false;
    var email = document.getElementById('renew-email');
    if (focus) (email || renew.querySelector('h2')).focus();
  }
  var renewEndpoints = { 'verify-email': '/api/auth/email/verify/request', 'reset-password': '/api/auth/password/forgot' };
  if (renew.tagName === 'FORM') {
    renew.addEventListener('submit', function (event) {
      event.preventDefault();
      var email = document.getElementById('renew-email');
      var send = renew.querySelector('button');
      fieldError(email, '');
      error.hidden = true;
      send.disabled = true;
      status.textContent = 'Sending…';
      post(renewEndpoints[page], { email: email.value })
        .then(function (r) {
          // 202 whatever the address (the API's rule): the page cannot tell, and says so.
          if (r.res.status === 202) { renew.hidden = true; status.textContent = 'If an account exists for that address, a new link is on its way.'; return; }
          send.disabled = false;
          status.textContent = '';
          if (r.json.code === 'validation_failed') fieldError(email, validationText(r.json));
          else if (r.json.code === 'rate_limited') fail('Too many attempts. Wait a little and try again.');
          else fail('That did not work (' + (r.json.detail || r.res.status) + '). Try again later.');
        })
        .catch(function () { send.disabled = false; fail('The server could not be reached. Check your connection and try again.'); });
    });
  }
  if (!token) { deadLink('This link is incomplete. Open the whole link from the mail.', false); return; }
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
      fieldError(password, '');
      if (password.value !== document.getElementById('confirm').value) return fieldError(password, 'The two passwords differ.');
      body.newPassword = password.value;
    }
    button.disabled = true;
    status.textContent = 'Working…';
    post(endpoints[page], body)
      .then(function (r) {
        if (r.res.ok) { form.hidden = true; status.textContent = done[page](r.json); return; }
        button.disabled = false;
        status.textContent = '';
        var code = r.json.code;
        if (code === 'invalid_link') deadLink('This link has expired or was already used.', true);
        else if (code === 'validation_failed' && page === 'reset-password') fieldError(document.getElementById('password'), validationText(r.json));
        else if (code === 'email_taken') fail('That address now belongs to another account, so yours was not changed.');
        else if (code === 'rate_limited') fail('Too many attempts. Wait a little and try again.');
        else fail('That did not work (' + (r.json.detail || r.res.status) + '). Try again later.');
      })
      .catch(function () { button.disabled = false; fail('The server could not be reached. Check your connection and try again.'); });
  });
})();
`;
