// #/account: who I am, the web session's deadlines, my MFA devices, and registering a security key.
import { api, keyApi } from '../api';
import { field, formatTime, h, message } from '../dom';
import type { Route } from '../router';
import { session } from '../state';
import { assertionJson, attestationJson, creationOptions, describeWebauthnError, requestOptions, webauthnAvailable } from '../webauthn';

export async function accountPage(main: HTMLElement, route: Route): Promise<void> {
  const s = session()!;
  const devices = h('div', { 'aria-live': 'polite' });
  main.append(h('h1', null, 'Account'),
    h('dl', { class: 'facts' },
      h('dt', null, 'User'), h('dd', null, s.user),
      h('dt', null, 'Roles'), h('dd', null, s.roles.join(', ') || 'none'),
      h('dt', null, 'Session ends'), h('dd', null, formatTime(s.expires)),
      h('dt', null, 'Idle until'), h('dd', null, formatTime(s.idle_expires))),
    h('h2', null, 'MFA devices'), devices);

  const refresh = async () => {
    const list = await api.mfaDevices();
    withKey.hidden = !list.some((d) => d.kind === 'webauthn');
    devices.replaceChildren(list.length
      ? h('table', { class: 'grid devices' },
        h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Name'), h('th', { scope: 'col' }, 'Kind'), h('th', { scope: 'col' }, 'Added'))),
        h('tbody', null, ...list.map((d) => h('tr', null, h('td', null, d.name), h('td', null, d.kind === 'webauthn' ? 'Security key (WebAuthn)' : 'Authenticator app (TOTP)'), h('td', null, formatTime(d.added)),
          d.kind === 'webauthn' ? h('td', null, removeButton(d.name)) : null))))
      : h('p', { class: 'muted' }, 'No MFA device yet.'));
  };
  function removeButton(device: string): HTMLElement {
    const b = h('button', { type: 'button', class: 'link', 'aria-label': `Remove security key ${device}` }, 'Remove');
    b.addEventListener('click', async () => {
      b.disabled = true;
      try {
        await keyApi.removeDevice(device);
        await refresh();
      } catch (err) {
        b.disabled = false;
        devices.appendChild(message('error', (err as Error).message));
      }
    });
    return b;
  }
  const status = h('div', { class: 'status-area' });
  const name = h('input', { name: 'device_name', type: 'text', required: true, maxlength: 64, value: 'security-key', pattern: '[A-Za-z0-9_.\\-]{1,64}' });
  // Fresh re-authentication: ferryd registers a key only with the password and a current one-time code, or with one of
  // the keys already registered, given in the same request that starts the registration.
  const password = h('input', { name: 'reauth_password', type: 'password', autocomplete: 'current-password', maxlength: 1024 });
  const otp = h('input', { name: 'reauth_otp', type: 'text', inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: 16 });
  const register = h('button', { type: 'submit', class: 'primary', id: 'register-key' }, 'Register a security key');
  const withKey = h('button', { type: 'button', class: 'secondary', id: 'register-key-confirm-with-key' }, 'Register, confirming with an existing key');
  withKey.hidden = true;
  // Signed in by single sign-on (perhaps with no Ferry password): confirm by signing in again at the provider, which
  // comes back here with ?confirmed=sso; ferryd keeps the proof in this web session for one registration, 2 minutes.
  const connector = s.connector ?? null;
  const confirmed = route.params.get('confirmed') === 'sso';
  const viaSso = h('button', { type: 'button', class: 'secondary', id: 'reauth-sso' }, `Confirm by signing in again at ${connector ?? ''}`);
  const withSso = h('button', { type: 'button', class: 'primary', id: 'register-key-sso' }, 'Register a security key now');
  const form = h('form', { class: 'card', 'aria-labelledby': 'add-key' },
    h('h2', { id: 'add-key' }, 'Add a security key'),
    h('p', null, 'A security key or passkey can replace the one-time code when you sign in, and pass per-session MFA.'),
    h('p', { class: 'muted', id: 'reauth-hint' }, connector
      ? `First confirm it is you: sign in again at ${connector}, or give your password and a current one-time code, or use one of your security keys.`
      : 'First confirm it is you: your password and a current one-time code, or one of your security keys.'),
    status, field('Name of the key', name), field('Your password', password), field('Your one-time code', otp),
    h('div', { class: 'actions' }, connector && confirmed ? withSso : null, register, withKey, connector && !confirmed ? viaSso : null));
  if (confirmed && connector) {
    status.appendChild(message('ok', `You signed in again at ${connector}. Register your key within 2 minutes.`));
  }
  const refused = route.params.get('message');
  if (route.params.get('error') && refused) {
    status.appendChild(message('error', refused));
  }
  await refresh();
  if (!webauthnAvailable()) {
    register.disabled = true;
    withKey.disabled = true;
    withSso.disabled = true;
    viaSso.disabled = true;
    status.appendChild(message('info', 'This browser offers no WebAuthn (it needs HTTPS).'));
  }
  const registerWith = async (proof: () => Promise<Parameters<typeof api.webauthnRegisterBegin>[0]>) => {
    if (!name.value.trim()) { status.replaceChildren(message('error', 'Give the key a name.')); return; }
    register.disabled = true;
    withKey.disabled = true;
    withSso.disabled = true;
    try {
      const begin = await api.webauthnRegisterBegin(await proof());
      password.value = '';
      otp.value = '';
      status.replaceChildren(message('info', 'Touch your new security key…'));
      const cred = await navigator.credentials.create({ publicKey: creationOptions(begin.options) }) as PublicKeyCredential | null;
      if (!cred) throw new Error('The browser returned no credential.');
      const done = await api.webauthnRegisterFinish(begin.challenge_id, name.value.trim(), attestationJson(cred));
      status.replaceChildren(message('ok', `Security key "${done.device}" registered.`));
      await refresh();
    } catch (err) {
      status.replaceChildren(message('error', err instanceof DOMException ? describeWebauthnError(err) : (err as Error).message));
    } finally {
      register.disabled = false;
      withKey.disabled = false;
      withSso.disabled = false;
    }
  };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void registerWith(async () => {
      if (!password.value || !otp.value.trim()) throw new Error('Enter your password and a current one-time code first (or confirm with a security key you already have).');
      return { password: password.value, otp: otp.value.trim() };
    });
  });
  withKey.addEventListener('click', () => {
    void registerWith(async () => {
      status.replaceChildren(message('info', 'Touch a security key you already registered…'));
      const begin = await keyApi.reauthBegin();
      const cred = await navigator.credentials.get({ publicKey: requestOptions(begin.options) }) as PublicKeyCredential | null;
      if (!cred) throw new Error('The browser returned no credential.');
      return { reauth: { challenge_id: begin.challenge_id, credential: assertionJson(cred) } };
    });
  });
  viaSso.addEventListener('click', () => {
    location.assign(`/web/api/sso/start?connector=${encodeURIComponent(connector ?? '')}&reauth=1`);
  });
  withSso.addEventListener('click', () => {
    withSso.hidden = true;
    void registerWith(async () => ({ sso: true as const }));
  });
  main.appendChild(form);
}
