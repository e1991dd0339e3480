// #/console/<database>: a real database session through Ferry (opened by ferryd with this web session's
// certificate). Editor with history (sessionStorage, never the URL), Run (Ctrl+Enter), Cancel, a paged
// results grid, a schema browser (\l, \dt, \d name) and Export CSV.
import { ApiError, api, keyApi, type Column, type Console, type Database, type QueryResult } from '../api';
import { assertionJson, describeWebauthnError, requestOptions, webauthnAvailable } from '../webauthn';
import { field, h, message, select } from '../dom';
import { link, type Route } from '../router';
import { History } from './history';

const PAGE_SIZE = 100;
const MAX_SQL_CHARS = 1_000_000;

/** Open consoles by database, so leaving the page and coming back keeps the session. */
const open = new Map<string, Console>();

export function closeAllConsoles(): void { open.clear(); }

export async function consolePage(main: HTMLElement, route: Route): Promise<() => void> {
  const name = route.parts[1] ?? '';
  const title = h('h1', null, 'Console');
  const body = h('div', { class: 'console-page' });
  main.append(title, body);
  if (!name) {
    body.appendChild(message('info', 'Pick a database under ', h('a', { href: link('databases') }, 'Databases'), ' and choose "Open console".'));
    return () => {};
  }
  title.textContent = `Console: ${name}`;
  const dbs = await api.databases();
  const db = dbs.find((d) => d.name === name);
  const state = { disposed: false };
  if (!db) {
    // Not in the list the roles allow: say so, but let the cluster give its own answer (RBAC, locks) if asked.
    body.appendChild(message('info', `"${name}" is not among the databases your roles allow, so connecting will most likely be refused. `,
      h('a', { href: link('requests') }, 'Ask for access'), ' instead?'));
    renderConnect(body, { name, protocol: 'postgres', labels: {}, health: 'unknown', db_users: [], db_names: [], require_session_mfa: false, connect: {} }, state, false);
    return () => { state.disposed = true; };
  }
  const existing = open.get(name);
  if (existing) {
    renderConsole(body, db, existing, state);
  } else {
    renderConnect(body, db, state);
  }
  return () => { state.disposed = true; };
}

function renderConnect(body: HTMLElement, db: Database, state: { disposed: boolean }, listed = true): void {
  const status = h('div', { class: 'status-area' });
  const dbUser = db.db_users.length ? select(db.db_users, db.db_users[0], { name: 'db_user' }) : h('input', { name: 'db_user', type: 'text', maxlength: 128 });
  const dbName = db.db_names.length ? select(db.db_names, db.db_names[0], { name: 'db_name' }) : h('input', { name: 'db_name', type: 'text', maxlength: 128 });
  const code = h('input', { name: 'mfa_code', type: 'text', inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: 8 });
  const connect = h('button', { type: 'submit', class: 'primary' }, 'Connect');
  const keyConnect = db.require_session_mfa && webauthnAvailable()
    ? h('button', { type: 'button', class: 'secondary', id: 'key-connect' }, 'Connect with a security key') : null;
  const form = h('form', { class: 'card connect-form', 'aria-label': `Open a console on ${db.name}` },
    listed ? h('p', null, `${db.protocol === 'postgres' ? 'PostgreSQL' : 'MySQL'} · `, h('span', { class: `health health-${db.health}` }, db.health)) : null,
    status,
    h('div', { class: 'row' }, field('Database user', dbUser), field('Database name', dbName)),
    db.require_session_mfa ? field('One-time code', code, 'This database asks for a fresh one-time code for each session.') : null,
    h('div', { class: 'actions' }, connect, keyConnect));
  // Session MFA with a security key instead of the one-time code.
  keyConnect?.addEventListener('click', async () => {
    keyConnect.disabled = true;
    connect.disabled = true;
    status.replaceChildren(message('info', 'Touch your security key…'));
    try {
      const begin = await keyApi.sessionBegin(db.name);
      const cred = await navigator.credentials.get({ publicKey: requestOptions(begin.options) }) as PublicKeyCredential | null;
      if (!cred) throw new Error('The browser returned no credential.');
      const c = await keyApi.openConsole(db.name, dbUser.value.trim(), dbName.value.trim(), begin.challenge_id, assertionJson(cred));
      if (state.disposed) { void api.closeConsole(c.console_id).catch(() => {}); return; }
      open.set(db.name, c);
      body.replaceChildren();
      renderConsole(body, { ...db, protocol: c.protocol }, c, state);
    } catch (err) {
      status.replaceChildren(message('error', err instanceof ApiError ? refusalText(err) : describeWebauthnError(err)));
      keyConnect.disabled = false;
      connect.disabled = false;
    }
  });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    connect.disabled = true;
    status.replaceChildren(message('info', `Connecting to ${db.name}…`));
    try {
      const c = await api.openConsole(db.name, dbUser.value.trim(), dbName.value.trim(), code.value.trim() || undefined);
      if (state.disposed) { void api.closeConsole(c.console_id).catch(() => {}); return; }
      open.set(db.name, c);
      body.replaceChildren();
      renderConsole(body, { ...db, protocol: c.protocol }, c, state);
    } catch (err) {
      status.replaceChildren(message('error', refusalText(err)));
      connect.disabled = false;
    }
  });
  body.append(form);
  dbUser.focus();
}

function refusalText(err: unknown): string {
  if (err instanceof ApiError) return err.status === 403 ? `Refused: ${err.message}` : err.message;
  return (err as Error).message;
}

function renderConsole(body: HTMLElement, db: Database, c: Console, state: { disposed: boolean }): void {
  const history = new History(`ferry.console.history.${db.name}`);
  const editor = h('textarea', {
    name: 'sql', class: 'editor', rows: 8, spellcheck: 'false', autocapitalize: 'none', autocomplete: 'off',
    maxlength: MAX_SQL_CHARS, 'aria-keyshortcuts': 'Control+Enter',
  });
  editor.value = history.draft();
  const run = h('button', { type: 'button', class: 'primary', id: 'run', 'aria-keyshortcuts': 'Control+Enter' }, 'Run');
  const cancel = h('button', { type: 'button', id: 'cancel', disabled: true }, 'Cancel');
  const exportButton = h('button', { type: 'button', id: 'export', class: 'secondary', disabled: true }, 'Export CSV');
  const disconnect = h('button', { type: 'button', class: 'link' }, 'Disconnect');
  const resultStatus = h('div', { class: 'result-status', role: 'status', 'aria-live': 'polite' });
  const resultArea = h('div', { class: 'result', id: 'result' });
  const schemaPanel = h('div', { class: 'schema-list' });
  const schemaDetail = h('div', { class: 'schema-detail', 'aria-live': 'polite' });

  let running = false;
  let current: { columns: Column[]; offset: number; hasMore: boolean; rowCount: number } | null = null;

  const setRunning = (on: boolean) => {
    running = on;
    run.disabled = on;
    cancel.disabled = !on;
    editor.setAttribute('aria-busy', on ? 'true' : 'false');
    resultArea.setAttribute('aria-busy', on ? 'true' : 'false');
    body.dataset['running'] = on ? '1' : '0';
  };

  const showError = (err: unknown) => {
    resultStatus.textContent = '';
    resultArea.replaceChildren(message('error', err instanceof ApiError ? refusalText(err) : (err as Error).message));
    if (err instanceof ApiError && (err.status === 404 || err.status === 410)) {
      open.delete(db.name);
      resultArea.appendChild(h('p', null, 'The console session is closed. ', h('a', { href: link('console', db.name), onclick: () => location.reload() }, 'Connect again'), '.'));
    }
  };

  const renderResult = (r: QueryResult) => {
    if (r.error) {
      current = null;
      exportButton.disabled = true;
      resultStatus.textContent = 'The database returned an error.';
      resultArea.replaceChildren(h('div', { class: 'db-error', role: 'alert', 'data-code': r.error.code },
        h('strong', null, `ERROR ${r.error.code}: `), r.error.message,
        r.error.detail ? h('div', { class: 'detail' }, r.error.detail) : null),
        ...notices(r.notices));
      return;
    }
    const columns = r.columns ?? [];
    current = { columns, offset: 0, hasMore: !!r.has_more, rowCount: r.row_count ?? (r.rows?.length ?? 0) };
    exportButton.disabled = columns.length === 0;
    const parts = [r.tag || (columns.length ? `${current.rowCount} row${current.rowCount === 1 ? '' : 's'}` : 'OK')];
    if (r.duration_ms !== undefined && r.duration_ms !== null) parts.push(`${r.duration_ms < 10 ? r.duration_ms.toFixed(1) : Math.round(r.duration_ms)} ms`);
    if (r.truncated) parts.push('truncated at the console\'s row or byte limit');
    resultStatus.textContent = parts.join(' · ');
    if (columns.length === 0) {
      resultArea.replaceChildren(h('p', { class: 'tag' }, r.tag || 'Done.'), ...notices(r.notices));
      return;
    }
    renderPage(r.rows ?? [], 0, !!r.has_more, r.notices);
  };

  const renderPage = (rows: (string | null)[][], offset: number, hasMore: boolean, noticeList?: string[]) => {
    if (!current) return;
    current.offset = offset;
    current.hasMore = hasMore;
    resultArea.replaceChildren(...notices(noticeList), grid(current.columns, rows, offset), pager(offset, rows.length, hasMore));
  };

  const pager = (offset: number, count: number, hasMore: boolean) => {
    const prev = h('button', { type: 'button', class: 'small secondary', disabled: offset === 0 }, 'Previous page');
    const next = h('button', { type: 'button', class: 'small secondary', disabled: !hasMore }, 'Next page');
    prev.addEventListener('click', () => void page(Math.max(0, offset - PAGE_SIZE)));
    next.addEventListener('click', () => void page(offset + PAGE_SIZE));
    return h('div', { class: 'pager', role: 'navigation', 'aria-label': 'Result pages' }, prev,
      h('span', { class: 'range' }, count ? `Rows ${offset + 1}–${offset + count}` : 'No rows'), next);
  };

  const page = async (offset: number) => {
    try {
      const p = await api.rows(c.console_id, offset, PAGE_SIZE);
      renderPage(p.rows, p.offset ?? offset, p.has_more);
    } catch (err) {
      showError(err);
    }
  };

  const runSql = async () => {
    if (running) return;
    const sql = editor.value.trim();
    if (!sql) { editor.focus(); return; }
    history.push(editor.value);
    setRunning(true);
    resultStatus.textContent = 'Running…';
    try {
      const meta = metaCommand(sql);
      if (meta) {
        await meta(c.console_id, resultArea, resultStatus);
        current = null;
        exportButton.disabled = true;
      } else {
        renderResult(await api.query(c.console_id, editor.value, PAGE_SIZE));
      }
    } catch (err) {
      showError(err);
    } finally {
      if (!state.disposed) setRunning(false);
    }
  };

  run.addEventListener('click', () => void runSql());
  cancel.addEventListener('click', async () => {
    // Stays enabled while the statement runs: a cancel that reached the database before the statement did can be sent again.
    resultStatus.textContent = 'Cancelling…';
    try { await api.cancel(c.console_id); } catch (err) { showError(err); }
  });
  exportButton.addEventListener('click', async () => {
    exportButton.disabled = true;
    try {
      const { blob, filename } = await api.exportCsv(c.console_id);
      const url = URL.createObjectURL(blob);
      const a = h('a', { href: url, download: filename, class: 'offscreen' });
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (err) {
      showError(err);
    } finally {
      exportButton.disabled = !current;
    }
  });
  disconnect.addEventListener('click', async () => {
    open.delete(db.name);
    try { await api.closeConsole(c.console_id); } catch { /* already gone */ }
    body.replaceChildren();
    renderConnect(body, db, state);
  });
  editor.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      void runSql();
      return;
    }
    if (e.altKey || e.ctrlKey || e.metaKey || e.shiftKey) return;
    const before = editor.value.slice(0, editor.selectionStart);
    const after = editor.value.slice(editor.selectionEnd);
    if (e.key === 'ArrowUp' && !before.includes('\n')) {
      const prev = history.back(editor.value);
      if (prev !== null) { e.preventDefault(); editor.value = prev; editor.setSelectionRange(prev.length, prev.length); }
    } else if (e.key === 'ArrowDown' && !after.includes('\n')) {
      const next = history.forward();
      if (next !== null) { e.preventDefault(); editor.value = next; editor.setSelectionRange(next.length, next.length); }
    }
  });
  editor.addEventListener('input', () => history.saveDraft(editor.value));

  // Schema browser.
  const showObjects = async () => {
    schemaDetail.replaceChildren();
    schemaPanel.replaceChildren(message('info', 'Loading…'));
    try {
      const { objects } = await api.schemaObjects(c.console_id);
      if (!objects.length) { schemaPanel.replaceChildren(h('p', { class: 'muted' }, 'No tables or views.')); return; }
      const list = h('ul', { class: 'objects' });
      for (const o of objects) {
        const full = o.schema ? `${o.schema}.${o.name}` : o.name;
        const b = h('button', { type: 'button', class: 'link object', title: `Describe ${full} (\\d)` }, full);
        b.addEventListener('click', () => void describe(full));
        list.appendChild(h('li', null, b, ' ', h('span', { class: 'kind' }, o.kind)));
      }
      schemaPanel.replaceChildren(list);
    } catch (err) {
      schemaPanel.replaceChildren(message('error', (err as Error).message));
    }
  };
  const describe = async (object: string) => {
    schemaDetail.replaceChildren(message('info', `Describing ${object}…`));
    try {
      const { columns } = await api.schemaColumns(c.console_id, object);
      schemaDetail.replaceChildren(h('h3', null, object), columnsTable(columns));
    } catch (err) {
      schemaDetail.replaceChildren(message('error', (err as Error).message));
    }
  };
  const showDatabases = async () => {
    schemaDetail.replaceChildren();
    try {
      const { databases } = await api.schemaDatabases(c.console_id);
      schemaPanel.replaceChildren(h('ul', { class: 'objects' }, ...databases.map((d) => h('li', null, d))));
    } catch (err) {
      schemaPanel.replaceChildren(message('error', (err as Error).message));
    }
  };

  body.append(
    h('div', { class: 'console-bar' },
      h('span', null, 'Connected as ', h('strong', null, c.db_user), ' to ', h('strong', null, c.db_name || '(default)'),
        ` · ${c.protocol === 'postgres' ? 'PostgreSQL' : 'MySQL'}`),
      disconnect),
    h('div', { class: 'console-grid' },
      h('aside', { class: 'schema', 'aria-label': 'Schema browser' },
        h('h2', { class: 'h3' }, 'Schema'),
        h('div', { class: 'actions' },
          h('button', { type: 'button', class: 'small secondary', onclick: () => void showDatabases(), title: '\\l' }, 'Databases'),
          h('button', { type: 'button', class: 'small secondary', onclick: () => void showObjects(), title: '\\dt' }, 'Tables')),
        schemaPanel, schemaDetail),
      h('section', { class: 'work', 'aria-label': 'Query' },
        field('SQL', editor, 'Ctrl+Enter runs. Up and Down at the first or last line walk through this tab\'s history. \\l, \\dt and \\d NAME describe the schema.'),
        h('div', { class: 'actions' }, run, cancel, exportButton),
        resultStatus, resultArea)));
  editor.focus();
  void showObjects();
}

function notices(list: string[] | undefined): HTMLElement[] {
  return (list ?? []).map((n) => h('div', { class: 'notice' }, n));
}

function grid(columns: Column[], rows: (string | null)[][], offset: number): HTMLElement {
  const table = h('table', { class: 'grid results', 'aria-rowcount': rows.length + 1 },
    h('thead', null, h('tr', null, h('th', { scope: 'col', class: 'rownum' }, '#'),
      ...columns.map((col) => h('th', { scope: 'col', title: col.type }, col.name)))));
  const tbody = h('tbody');
  rows.forEach((row, i) => {
    const tr = h('tr', null, h('td', { class: 'rownum' }, String(offset + i + 1)));
    for (const v of row) tr.appendChild(v === null ? h('td', { class: 'null' }, 'NULL') : h('td', null, v));
    tbody.appendChild(tr);
  });
  table.appendChild(tbody);
  return h('div', { class: 'grid-wrap', tabindex: '0', role: 'region', 'aria-label': 'Result rows' }, table);
}

function columnsTable(columns: { name: string; type: string; nullable: boolean }[]): HTMLElement {
  return h('table', { class: 'grid small' },
    h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Column'), h('th', { scope: 'col' }, 'Type'), h('th', { scope: 'col' }, 'Null'))),
    h('tbody', null, ...columns.map((col) => h('tr', null, h('td', null, col.name), h('td', null, col.type), h('td', null, col.nullable ? 'yes' : 'no')))));
}

type Meta = (id: string, area: HTMLElement, status: HTMLElement) => Promise<void>;

/** psql-style \l, \dt and \d NAME, answered from the schema endpoint for both engines. */
function metaCommand(sql: string): Meta | null {
  const m = /^\\(l|dt|d)\s*(\S*)\s*;?\s*$/.exec(sql);
  if (!m) return null;
  const [, cmd, arg] = m;
  if (cmd === 'l') {
    return async (id, area, status) => {
      const { databases } = await api.schemaDatabases(id);
      status.textContent = `${databases.length} databases`;
      area.replaceChildren(grid([{ name: 'Name', type: 'text' }], databases.map((d) => [d]), 0));
    };
  }
  if (cmd === 'dt' || (cmd === 'd' && !arg)) {
    return async (id, area, status) => {
      const { objects } = await api.schemaObjects(id);
      status.textContent = `${objects.length} relations`;
      area.replaceChildren(grid([{ name: 'Schema', type: 'text' }, { name: 'Name', type: 'text' }, { name: 'Type', type: 'text' }],
        objects.map((o) => [o.schema, o.name, o.kind]), 0));
    };
  }
  return async (id, area, status) => {
    const { columns } = await api.schemaColumns(id, arg!);
    status.textContent = `${arg}: ${columns.length} columns`;
    area.replaceChildren(columnsTable(columns));
  };
}
