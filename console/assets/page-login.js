// The login page: user and password, POST /api/v1/session; then on to the page asked for (a local hash
// route only, never an address taken from outside the console).
import * as api from './api.js';
import {h, replace} from './dom.js';
import {navigate} from './shared.js';

export async function render(ctx) {
  const user = h('input', {id: 'login-user', name: 'user', 'data-testid': 'login-user', autocomplete: 'username',
    required: true, autocapitalize: 'none', spellcheck: 'false'});
  const password = h('input', {id: 'login-password', name: 'password', type: 'password', required: true,
    'data-testid': 'login-password', autocomplete: 'current-password'});
  const submit = h('button', {type: 'submit', class: 'button button-primary button-block', id: 'login-submit',
    'data-testid': 'login-submit'}, 'Log in');
  const message = h('div', {id: 'login-message', 'data-testid': 'login-message', 'aria-live': 'assertive'});
  if (ctx.flash) {
    replace(message, h('div', {class: 'alert alert-warn', role: 'status'}, ctx.flash));
  }
  const form = h('form', {class: 'login-form', id: 'login-form', 'data-testid': 'login-form', novalidate: true},
    h('div', {class: 'login-brand'}, h('img', {src: 'assets/favicon.svg', alt: '', width: 40, height: 40}),
      h('h1', {id: 'page-title'}, 'asyncz console')),
    h('p', {class: 'muted'}, 'Log in with a user of the daemon\'s [http] users.'),
    message,
    h('div', {class: 'form-row'}, h('label', {for: 'login-user'}, 'User'), user),
    h('div', {class: 'form-row'}, h('label', {for: 'login-password'}, 'Password'), password),
    submit);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!user.value || !password.value) {
      replace(message, h('div', {class: 'alert alert-error', role: 'alert'}, 'Enter your user name and password.'));
      (user.value ? password : user).focus();
      return;
    }
    submit.disabled = true;
    submit.textContent = 'Logging in…';
    try {
      await api.login(user.value, password.value);
      navigate(api.safeNext(ctx.query.get('next')), true);
    } catch (err) {
      password.value = '';
      replace(message, h('div', {class: 'alert alert-error', role: 'alert', 'data-testid': 'login-error'},
        err.message));
      password.focus();
    } finally {
      submit.disabled = false;
      submit.textContent = 'Log in';
    }
  });
  document.title = 'Log in · asyncz';
  ctx.main.appendChild(h('div', {class: 'login-page'}, form));
  user.focus();
}
