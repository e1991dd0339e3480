// #/account: who I am, the web session's deadlines, my MFA devices, and registering a security key.
import { api, keyApi } from '../api';
import { field, formatTime, h, message } from '../dom';
import type { Route } from '../router';
import { session } from '../state';
import { attestationJson, creationOptions, describeWebauthnError, webauthnAvailable } from '../webauthn';

export async function accountPage(main: HTMLElement, _route: Route): Promise<void> {
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
  await refresh();

  const status = h('div', { class: 'status-area' });
  const name = h('input', { name: 'device_name', type: 'text', required: true, maxlength: 64, value: 'security-key', pattern: '[A-Za-z0-9_.-]{1,64}' });
  const register = h('button', { type: 'submit', class: 'primary', id: 'register-key' }, 'Register a security key');
  const form = h('form', { class: 'card', 'aria-labelledby': 'add-key' },
    h('h2', { id: 'add-key' }, 'Add a security key'),
    h('p', null, 'A security key or passkey can replace the one-time code when you sign in, and pass per-session MFA.'),
    status, field('Name of the key', name), h('div', { class: 'actions' }, register));
  if (!webauthnAvailable()) {
    register.disabled = true;
    status.appendChild(message('info', 'This browser offers no WebAuthn (it needs HTTPS).'));
  }
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!name.value.trim()) { status.replaceChildren(message('error', 'Give the key a name.')); return; }
    register.disabled = true;
    status.replaceChildren(message('info', 'Touch your security key…'));
    try {
      const begin = await api.webauthnRegisterBegin();
      const cred = await navigator.credentials.create({ publicKey: creationOptions(begin.options) }) as PublicKeyCredential | null;
      if (!cred) throw new Error('The browser returned no credential.');
      const done = await api.webauthnRegisterFinish(begin.challenge_id, name.value.trim(), attestationJson(cred));
      status.replaceChildren(message('ok', `Security key "${done.device}" registered.`));
      await refresh();
    } catch (err) {
      status.replaceChildren(message('error', err instanceof DOMException ? describeWebauthnError(err) : (err as Error).message));
    } finally {
      register.disabled = false;
    }
  });
  main.appendChild(form);
}
