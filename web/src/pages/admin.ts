// #/admin (admin roles): users, roles (YAML editor with the server's line:col validation), locks, join
// tokens and hosts. Lists are read from /web/api/admin/<kind>; changes go through PUT/POST/DELETE there
// (WEB-API.md, "Admin"). One-time values (a generated password, a join token's secret) are shown once.
import { ApiError, api } from '../api';
import { copyText, field, formatTime, h, message } from '../dom';
import { go, type Route } from '../router';

const tabs: Array<[string, string]> = [['users', 'Users'], ['roles', 'Roles'], ['locks', 'Locks'], ['tokens', 'Join tokens'], ['hosts', 'Hosts']];

export async function adminPage(main: HTMLElement, route: Route): Promise<void> {
  const tab = route.params.get('tab') ?? 'users';
  const tablist = h('div', { class: 'tabs', role: 'tablist', 'aria-label': 'Admin' });
  for (const [key, label] of tabs) {
    const b = h('button', { type: 'button', role: 'tab', 'aria-selected': key === tab ? 'true' : 'false', class: key === tab ? 'tab active' : 'tab' }, label);
    b.addEventListener('click', () => go(`/admin?tab=${key}`));
    tablist.appendChild(b);
  }
  const panel = h('div', { role: 'tabpanel', class: 'tabpanel' });
  main.append(h('h1', null, 'Admin'), tablist, panel);
  switch (tab) {
    case 'roles': await rolesTab(panel); break;
    case 'locks': await locksTab(panel); break;
    case 'tokens': await tokensTab(panel); break;
    case 'hosts': await hostsTab(panel); break;
    default: await usersTab(panel);
  }
}

type Row = Record<string, unknown>;

function rowsOf(data: unknown): Row[] {
  if (Array.isArray(data)) return data as Row[];
  if (data && typeof data === 'object') {
    for (const v of Object.values(data as Row)) if (Array.isArray(v)) return v as Row[];
  }
  return [];
}

function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (Array.isArray(v)) return v.join(', ');
  if (typeof v === 'object') return Object.entries(v as Row).map(([k, x]) => `${k}=${Array.isArray(x) ? x.join(',') : String(x)}`).join(' ');
  if (typeof v === 'string' && /^\d{4}-\d\d-\d\dT/.test(v)) return formatTime(v);
  return String(v);
}

function table(rows: Row[], columns?: string[]): HTMLElement {
  if (!rows.length) return h('p', { class: 'muted' }, 'None.');
  const cols = columns ?? Array.from(new Set(rows.flatMap((r) => Object.keys(r)))).filter((c) => c !== 'yaml');
  return h('div', { class: 'grid-wrap' }, h('table', { class: 'grid' },
    h('thead', null, h('tr', null, ...cols.map((c) => h('th', { scope: 'col' }, c.replace(/_/g, ' '))))),
    h('tbody', null, ...rows.map((r) => h('tr', null, ...cols.map((c) => h('td', null, cell(r[c]))))))));
}

async function rolesTab(panel: HTMLElement): Promise<void> {
  const status = h('div', { class: 'status-area' });
  const editor = h('textarea', { name: 'yaml', class: 'editor yaml', rows: 16, spellcheck: 'false', maxlength: 65536 });
  const where = h('div', { class: 'yaml-error', role: 'alert', 'aria-live': 'polite' });
  const save = h('button', { type: 'submit', class: 'primary' }, 'Save role');
  const form = h('form', { class: 'card' }, h('h2', null, 'Edit a role'), status,
    field('Role YAML', editor, 'kind: role, name, options, allow, deny — validated by ferryd; errors point at line:column.'), where,
    h('div', { class: 'actions' }, save));
  const list = h('div');
  panel.append(list, form);
  const refresh = async () => {
    const roles = rowsOf(await api.admin.get('roles'));
    const t = table(roles, ['name', 'built_in']);
    t.querySelectorAll('tbody tr').forEach((tr, i) => {
      const role = roles[i]!;
      const edit = h('button', { type: 'button', class: 'small secondary' }, 'Edit');
      edit.addEventListener('click', () => { editor.value = String(role['yaml'] ?? ''); where.replaceChildren(); editor.focus(); });
      const cells: HTMLElement[] = [edit];
      if (!role['built_in']) {
        const rm = h('button', { type: 'button', class: 'small secondary' }, 'Delete');
        rm.addEventListener('click', async () => {
          if (!window.confirm(`Delete role ${String(role['name'])}?`)) return;
          try { await api.admin.del(`roles/${encodeURIComponent(String(role['name']))}`); status.replaceChildren(message('ok', `Role ${String(role['name'])} deleted.`)); await refresh(); } catch (err) { status.replaceChildren(message('error', (err as Error).message)); }
        });
        cells.push(rm);
      }
      tr.appendChild(h('td', { class: 'actions-cell' }, ...cells));
    });
    list.replaceChildren(t);
  };
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const name = /^name:\s*(\S+)/m.exec(editor.value)?.[1];
    if (!name) { status.replaceChildren(message('error', 'The YAML needs a name: line.')); return; }
    save.disabled = true;
    where.replaceChildren();
    try {
      await api.admin.put(`roles/${encodeURIComponent(name)}`, { yaml: editor.value });
      status.replaceChildren(message('ok', `Role ${name} saved.`));
      await refresh();
    } catch (err) {
      status.replaceChildren(message('error', err instanceof ApiError ? err.message : String(err)));
      // "role:3:10: options.x: ..." → point at that line of the text.
      const at = err instanceof ApiError ? /:(\d+):(\d+):/.exec(err.message) : null;
      if (at) {
        const line = Number(at[1]);
        const text = editor.value.split('\n')[line - 1] ?? '';
        where.replaceChildren(h('span', { class: 'badge danger' }, `line ${at[1]}, column ${at[2]}`), ' ', h('code', null, text));
        const offset = editor.value.split('\n').slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0) + Number(at[2]) - 1;
        editor.setSelectionRange(offset, offset + Math.max(1, text.length - Number(at[2]) + 1));
      }
    } finally {
      save.disabled = false;
    }
  });
  try { await refresh(); } catch (err) { list.appendChild(message('error', (err as Error).message)); }
}

async function locksTab(panel: HTMLElement): Promise<void> {
  const status = h('div', { class: 'status-area' });
  const kind = h('select', { name: 'kind' }, ...['user', 'role', 'database', 'access_request'].map((k) => h('option', { value: k }, k)));
  const target = h('input', { name: 'target', type: 'text', required: true, maxlength: 128 });
  const msg = h('input', { name: 'message', type: 'text', maxlength: 256 });
  const ttl = h('input', { name: 'ttl', type: 'text', placeholder: '1h', maxlength: 16 });
  const form = h('form', { class: 'card' }, h('h2', null, 'Add a lock'), status,
    h('div', { class: 'row' }, field('Kind', kind), field('Target', target), field('Message', msg), field('Expires after', ttl)),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'danger' }, 'Lock')));
  const list = h('div');
  panel.append(list, form);
  const refresh = async () => {
    const locks = rowsOf(await api.admin.get('locks'));
    const t = table(locks, ['id', 'kind', 'target', 'message', 'created_by', 'expires_at']);
    t.querySelectorAll('tbody tr').forEach((tr, i) => {
      const id = String(locks[i]!['id']);
      const rm = h('button', { type: 'button', class: 'small secondary' }, 'Remove');
      rm.addEventListener('click', async () => {
        try { await api.admin.del(`locks/${encodeURIComponent(id)}`); await refresh(); } catch (err) { status.replaceChildren(message('error', (err as Error).message)); }
      });
      tr.appendChild(h('td', null, rm));
    });
    list.replaceChildren(t);
  };
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      await api.admin.post('locks', { kind: kind.value, target: target.value.trim(), message: msg.value.trim(), ttl: ttl.value.trim() || undefined });
      status.replaceChildren(message('ok', `Locked ${kind.value} ${target.value.trim()}.`));
      await refresh();
    } catch (err) {
      status.replaceChildren(message('error', (err as Error).message));
    }
  });
  try { await refresh(); } catch (err) { list.appendChild(message('error', (err as Error).message)); }
}

async function usersTab(panel: HTMLElement): Promise<void> {
  const status = h('div', { class: 'status-area', 'aria-live': 'polite' });
  const name = h('input', { name: 'name', type: 'text', required: true, maxlength: 64, spellcheck: 'false' });
  const roles = h('input', { name: 'roles', type: 'text', maxlength: 512, placeholder: 'developer, auditor', spellcheck: 'false' });
  const traits = h('input', { name: 'traits', type: 'text', maxlength: 1024, placeholder: 'db_users=alice,readonly db_names=app', spellcheck: 'false' });
  const form = h('form', { class: 'card' }, h('h2', null, 'Add a user'), status,
    h('div', { class: 'row' }, field('New user name', name), field('Roles', roles, 'Comma-separated.'), field('Traits', traits, 'name=v1,v2, space-separated.')),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Add user')));
  const list = h('div');
  panel.append(list, form);
  const refresh = async () => {
    const users = rowsOf(await api.admin.get('users'));
    const t = table(users, ['name', 'roles', 'traits', 'created_at']);
    t.querySelectorAll('tbody tr').forEach((tr, i) => {
      const user = String(users[i]!['name']);
      const reset = h('button', { type: 'button', class: 'small secondary' }, 'Reset password');
      reset.addEventListener('click', async () => {
        if (!window.confirm(`Replace the password and TOTP secret of ${user}?`)) return;
        try { status.replaceChildren(credentials(await api.admin.post<Row>(`users/${encodeURIComponent(user)}/reset`, {}))); } catch (err) { status.replaceChildren(message('error', (err as Error).message)); }
      });
      const rm = h('button', { type: 'button', class: 'small danger' }, 'Delete');
      rm.addEventListener('click', async () => {
        if (!window.confirm(`Delete user ${user}?`)) return;
        try { await api.admin.del(`users/${encodeURIComponent(user)}`); status.replaceChildren(message('ok', `User ${user} deleted.`)); await refresh(); } catch (err) { status.replaceChildren(message('error', (err as Error).message)); }
      });
      tr.appendChild(h('td', { class: 'actions-cell' }, reset, rm));
    });
    list.replaceChildren(t);
  };
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const parsed: Record<string, string[]> = {};
    for (const part of traits.value.trim().split(/\s+/).filter(Boolean)) {
      const eq = part.indexOf('=');
      if (eq <= 0) { status.replaceChildren(message('error', `Trait "${part}" must look like name=value1,value2.`)); return; }
      parsed[part.slice(0, eq)] = part.slice(eq + 1).split(',').map((v) => v.trim()).filter(Boolean);
    }
    try {
      const created = await api.admin.post<Row>('users', { name: name.value.trim(), roles: roles.value.split(',').map((r) => r.trim()).filter(Boolean), traits: parsed });
      status.replaceChildren(credentials(created));
      await refresh();
    } catch (err) {
      status.replaceChildren(message('error', (err as Error).message));
    }
  });
  try { await refresh(); } catch (err) { list.appendChild(message('error', (err as Error).message)); }
}

/** The password and TOTP enrolment of a new or reset user: shown this once. */
function credentials(c: Row): HTMLElement {
  const items: Array<[string, string]> = [];
  if (c['password']) items.push(['Password', String(c['password'])]);
  items.push(['TOTP secret', String(c['totp_secret'] ?? '')], ['TOTP URI', String(c['otpauth_uri'] ?? '')]);
  return message('ok', `User ${String(c['user'])} is ready. Give these to the user now; they are not shown again.`,
    h('dl', { class: 'facts secrets' }, ...items.flatMap(([k, v]) => [h('dt', null, k), h('dd', null, h('code', null, v), ' ', copyButton(v))])));
}

function copyButton(value: string): HTMLElement {
  const b = h('button', { type: 'button', class: 'small secondary' }, 'Copy');
  b.addEventListener('click', async () => { b.textContent = (await copyText(value)) ? 'Copied' : 'Select and copy'; });
  return b;
}

async function tokensTab(panel: HTMLElement): Promise<void> {
  const status = h('div', { class: 'status-area', 'aria-live': 'polite' });
  const role = h('select', { name: 'role' }, ...['agent', 'proxy'].map((k) => h('option', { value: k }, k)));
  const ttl = h('input', { name: 'ttl', type: 'text', value: '1h', maxlength: 16 });
  const multi = h('input', { name: 'multi_use', type: 'checkbox' });
  const form = h('form', { class: 'card' }, h('h2', null, 'Create a join token'), status,
    h('div', { class: 'row' }, field('Host role', role), field('Valid for', ttl), field('Several hosts may use it', multi)),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Create token')));
  const list = h('div');
  panel.append(list, form);
  const refresh = async () => {
    const tokens = rowsOf(await api.admin.get('tokens'));
    const t = table(tokens, ['id', 'role', 'multi_use', 'uses', 'expires_at']);
    t.querySelectorAll('tbody tr').forEach((tr, i) => {
      const id = String(tokens[i]!['id']);
      const rm = h('button', { type: 'button', class: 'small secondary' }, 'Delete');
      rm.addEventListener('click', async () => {
        try { await api.admin.del(`tokens/${encodeURIComponent(id)}`); await refresh(); } catch (err) { status.replaceChildren(message('error', (err as Error).message)); }
      });
      tr.appendChild(h('td', null, rm));
    });
    list.replaceChildren(t);
  };
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      const tok = await api.admin.post<Row>('tokens', { role: role.value, ttl: ttl.value.trim() || undefined, multi_use: multi.checked });
      const secret = String(tok['token'] ?? '');
      status.replaceChildren(message('ok', `Join token for a ${String(tok['role'])} created (id ${String(tok['id'])}). Copy it now; it is not shown again.`,
        h('p', null, h('code', { class: 'secret token' }, secret), ' ', copyButton(secret))));
      await refresh();
    } catch (err) {
      status.replaceChildren(message('error', (err as Error).message));
    }
  });
  try { await refresh(); } catch (err) { list.appendChild(message('error', (err as Error).message)); }
}

async function hostsTab(panel: HTMLElement): Promise<void> {
  try {
    const hosts = rowsOf(await api.admin.get('hosts')).map((host) => {
      const seen = host['last_seen_at'] ? Date.parse(String(host['last_seen_at'])) : NaN;
      const expires = host['certificate_expires'] ? Date.parse(String(host['certificate_expires'])) : NaN;
      const health = Number.isNaN(seen) ? 'never seen'
        : !Number.isNaN(expires) && expires < Date.now() ? 'certificate expired'
        : Date.now() - seen < 5 * 60_000 ? 'healthy' : 'not seen for ' + Math.round((Date.now() - seen) / 60_000) + ' min';
      return { ...host, health };
    });
    panel.appendChild(table(hosts, ['host_id', 'role', 'names', 'address', 'last_seen_at', 'health', 'certificate_expires']));
  } catch (err) {
    panel.appendChild(message('error', (err as Error).message));
  }
}
