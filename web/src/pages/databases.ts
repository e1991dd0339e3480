// #/databases: what the user's roles allow, with a label filter, connect commands to copy and "Open console".
import { api, type Database } from '../api';
import { copyText, field, h, message } from '../dom';
import { link, go, type Route } from '../router';

const commandNames: Array<[string, string]> = [['ferry', 'ferry'], ['psql', 'psql'], ['mysql', 'mysql'], ['jdbc', 'JDBC URL']];

export async function databasesPage(main: HTMLElement, route: Route): Promise<void> {
  const labels = route.params.get('labels') ?? '';
  const filter = h('input', { type: 'text', name: 'labels', placeholder: 'env=dev,team=billing', value: labels, maxlength: 512, spellcheck: 'false' });
  const form = h('form', { class: 'filter', role: 'search' },
    field('Filter by labels', filter, 'key=value pairs separated by commas; a database must have them all.'),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Filter'),
      labels ? h('a', { class: 'button secondary', href: link('databases') }, 'Clear') : null));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const v = filter.value.trim();
    go(v ? `/databases?labels=${encodeURIComponent(v)}` : '/databases');
  });
  const list = h('div', { 'aria-live': 'polite' }, message('info', 'Loading databases…'));
  main.append(h('h1', null, 'Databases'), form, list);

  const dbs = await api.databases(labels || undefined);
  if (dbs.length === 0) {
    list.replaceChildren(message('info', labels
      ? `No database your roles allow has the labels ${labels}.`
      : 'Your roles allow no database yet. Ask for access under Access requests.'));
    return;
  }
  const table = h('table', { class: 'grid databases' },
    h('caption', { class: 'sr-only' }, 'Databases you may connect to'),
    h('thead', null, h('tr', null, ...['Name', 'Protocol', 'Labels', 'Health', 'Database users', 'Database names', ''].map((c) => h('th', { scope: 'col' }, c)))));
  const body = h('tbody');
  for (const db of dbs) {
    const details = h('tr', { class: 'details', hidden: true });
    const toggle = h('button', { type: 'button', class: 'secondary small', 'aria-expanded': 'false' }, 'Connect');
    toggle.addEventListener('click', () => {
      const open = details.hidden;
      details.hidden = !open;
      toggle.setAttribute('aria-expanded', open ? 'true' : 'false');
    });
    body.append(
      h('tr', { 'data-database': db.name },
        h('th', { scope: 'row' }, db.name, db.require_session_mfa ? h('span', { class: 'badge', title: 'Each console needs a fresh one-time code' }, 'MFA') : null,
          db.description ? h('div', { class: 'muted small-text' }, db.description) : null),
        h('td', null, db.protocol === 'postgres' ? 'PostgreSQL' : 'MySQL'),
        h('td', null, labelChips(db.labels)),
        h('td', null, h('span', { class: `health health-${db.health}`, title: db.health_error ?? null }, db.health)),
        h('td', null, db.db_users.length ? db.db_users.join(', ') : h('span', { class: 'muted' }, 'none')),
        h('td', null, db.db_names.length ? db.db_names.join(', ') : h('span', { class: 'muted' }, 'any')),
        h('td', { class: 'row-actions' }, toggle,
          h('a', { class: 'button small', href: link('console', db.name) }, 'Open console'))),
      details);
    details.appendChild(h('td', { colspan: 7 }, connectBlock(db)));
  }
  table.appendChild(body);
  list.replaceChildren(table);
}

function labelChips(labels: Record<string, string>): HTMLElement {
  const span = h('span', { class: 'labels' });
  for (const [k, v] of Object.entries(labels ?? {})) {
    span.appendChild(h('a', { class: 'chip', href: `#/databases?labels=${encodeURIComponent(`${k}=${v}`)}`, title: `Show databases with ${k}=${v}` }, `${k}=${v}`));
  }
  return span;
}

function connectBlock(db: Database): HTMLElement {
  const block = h('div', { class: 'connect' }, h('h2', { class: 'h3' }, `Connect to ${db.name}`));
  for (const [key, label] of commandNames) {
    const cmd = db.connect?.[key];
    if (!cmd) continue;
    const code = h('code', null, cmd);
    const copied = h('span', { class: 'copied', role: 'status' });
    const button = h('button', { type: 'button', class: 'small secondary', 'aria-label': `Copy the ${label} command` }, 'Copy');
    button.addEventListener('click', async () => {
      copied.textContent = (await copyText(cmd)) ? 'Copied' : 'Select the text and copy it';
    });
    block.appendChild(h('div', { class: 'command' }, h('span', { class: 'command-label' }, label), h('pre', null, code), button, copied));
  }
  return block;
}
