// #/admin (admin roles): users, roles (YAML editor with the server's line:col validation), locks, join
// tokens and hosts. Lists are read from /web/api/admin/<kind>; changes go through PUT/POST/DELETE there.
import { ApiError, api } from '../api';
import { field, formatTime, h, message } from '../dom';
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
    default: await listTab(panel, tab);
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

async function listTab(panel: HTMLElement, kind: string): Promise<void> {
  try {
    panel.appendChild(table(rowsOf(await api.admin.get(kind))));
  } catch (err) {
    panel.appendChild(message('error', (err as Error).message));
  }
}

async function rolesTab(panel: HTMLElement): Promise<void> {
  const status = h('div', { class: 'status-area' });
  const editor = h('textarea', { name: 'yaml', class: 'editor yaml', rows: 16, spellcheck: 'false', maxlength: 65536 });
  const save = h('button', { type: 'submit', class: 'primary' }, 'Save role');
  const form = h('form', { class: 'card' }, h('h2', null, 'Edit a role'), status,
    field('Role YAML', editor, 'kind: role, name, options, allow, deny — validated by ferryd; errors point at line:column.'),
    h('div', { class: 'actions' }, save));
  const list = h('div');
  panel.append(list, form);
  const refresh = async () => {
    const roles = rowsOf(await api.admin.get('roles'));
    const t = table(roles, ['name', 'built_in']);
    t.querySelectorAll('tbody tr').forEach((tr, i) => {
      const role = roles[i]!;
      const edit = h('button', { type: 'button', class: 'small secondary' }, 'Edit');
      edit.addEventListener('click', () => { editor.value = String(role['yaml'] ?? ''); editor.focus(); });
      tr.appendChild(h('td', null, edit));
    });
    list.replaceChildren(t);
  };
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const name = /^name:\s*(\S+)/m.exec(editor.value)?.[1];
    if (!name) { status.replaceChildren(message('error', 'The YAML needs a name: line.')); return; }
    save.disabled = true;
    try {
      await api.admin.put(`roles/${encodeURIComponent(name)}`, { yaml: editor.value });
      status.replaceChildren(message('ok', `Role ${name} saved.`));
      await refresh();
    } catch (err) {
      status.replaceChildren(message('error', err instanceof ApiError ? err.message : String(err)));
    } finally {
      save.disabled = false;
    }
  });
  try { await refresh(); } catch (err) { list.appendChild(message('error', (err as Error).message)); }
}

async function locksTab(panel: HTMLElement): Promise<void> {
  const status = h('div', { class: 'status-area' });
  const kind = h('select', { name: 'kind' }, ...['user', 'role', 'database'].map((k) => h('option', { value: k }, k)));
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
