// #/login: user name + password + one-time code, "Sign in with <connector>" for SSO, and
// "Use a security key" (WebAuthn as the second factor instead of the one-time code).
import { ApiError, api, type Session } from '../api';
import { field, h, message } from '../dom';
import { go, type Route } from '../router';
import { setSession } from '../state';
import { assertionJson, describeWebauthnError, requestOptions, webauthnAvailable } from '../webauthn';

export async function loginPage(main: HTMLElement, route: Route): Promise<void> {
  const status = h('div', { class: 'status-area', 'aria-live': 'polite' });
  const user = h('input', { name: 'user', type: 'text', autocomplete: 'username', required: true, autocapitalize: 'none', spellcheck: 'false', maxlength: 128 });
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true, maxlength: 1024 });
  const otp = h('input', { name: 'otp', type: 'text', inputmode: 'numeric', autocomplete: 'one-time-code', pattern: '[0-9]{6,8}', maxlength: 8 });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Sign in');
  const keyButton = h('button', { type: 'button', class: 'secondary', id: 'webauthn-login' }, 'Use a security key');

  // A refused single sign-on comes back as #/login?error=<code>&message=<text for a person>.
  const error = route.params.get('message') || route.params.get('error');
  if (error) status.appendChild(message('error', error));
  if (route.params.has('expired')) status.appendChild(message('info', 'Your web session ended (idle or expired, or it was revoked). Sign in again.'));
  if (route.params.has('logged_out')) status.appendChild(message('ok', 'You are logged out.'));

  const busy = (on: boolean) => {
    submit.disabled = on;
    keyButton.disabled = on;
    form.setAttribute('aria-busy', on ? 'true' : 'false');
  };
  const done = (s: Session) => {
    setSession(s);
    go('/databases');
  };
  const fail = (e: unknown) => {
    status.replaceChildren(message('error', e instanceof ApiError ? e.message : describeWebauthnError(e)));
  };

  const form = h('form', { class: 'card login', novalidate: true, 'aria-labelledby': 'login-title' },
    h('h1', { id: 'login-title' }, 'Sign in to Ferry'),
    status,
    field('User name', user),
    field('Password', password),
    field('One-time code', otp, 'The 6-digit code from your authenticator app. Leave it empty when you use a security key.'),
    h('div', { class: 'actions' }, submit, webauthnAvailable() ? keyButton : null));

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!user.value.trim() || !password.value) {
      status.replaceChildren(message('error', 'Enter your user name and password.'));
      (user.value.trim() ? password : user).focus();
      return;
    }
    busy(true);
    status.replaceChildren(message('info', 'Signing in…'));
    try {
      done(await api.login(user.value.trim(), password.value, otp.value.trim()));
    } catch (err) {
      fail(err);
      password.select();
    } finally {
      busy(false);
    }
  });

  keyButton.addEventListener('click', async () => {
    if (!user.value.trim() || !password.value) {
      status.replaceChildren(message('error', 'Enter your user name and password, then use your security key.'));
      (user.value.trim() ? password : user).focus();
      return;
    }
    busy(true);
    status.replaceChildren(message('info', 'Touch your security key…'));
    try {
      const begin = await api.webauthnLoginBegin(user.value.trim());
      const cred = await navigator.credentials.get({ publicKey: requestOptions(begin.options) }) as PublicKeyCredential | null;
      if (!cred) throw new Error('The browser returned no credential.');
      done(await api.webauthnLoginFinish(user.value.trim(), password.value, begin.challenge_id, assertionJson(cred)));
    } catch (err) {
      fail(err);
    } finally {
      busy(false);
    }
  });

  main.append(form);

  // Single sign-on: one button per connector, a plain link to ferryd (which redirects to the provider).
  try {
    const connectors = await api.connectors();
    if (connectors.length > 0) {
      const list = h('div', { class: 'card sso', role: 'group', 'aria-label': 'Single sign-on' },
        h('p', { class: 'or' }, 'or'));
      for (const c of connectors) {
        list.appendChild(h('a', { class: 'button secondary sso-button', href: `/web/api/sso/start?connector=${encodeURIComponent(c.name)}` },
          `Sign in with ${c.display_name || c.name}`));
      }
      main.appendChild(list);
    }
  } catch {
    /* no SSO offered or not reachable: the password form still works */
  }
  user.focus();
}
