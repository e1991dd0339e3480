// #/audit: search the audit log (user, database, time range, text). #/audit/session/<id>: play a database
// session back — its statements in order with their timing, rows and errors (PostgreSQL and MySQL).
import { api, type AuditEvent, type PlaybackStatement } from '../api';
import { field, formatTime, h, message } from '../dom';
import { go, link, type Route } from '../router';

const searchKeys = ['user', 'database', 'from', 'to', 'text', 'limit'] as const;

export async function auditPage(main: HTMLElement, route: Route): Promise<void> {
  const inputs: Record<string, HTMLInputElement> = {};
  const mk = (key: string, attrs: Record<string, string | number>) => {
    const input = h('input', { name: key, value: route.params.get(key) ?? '', maxlength: 256, ...attrs });
    inputs[key] = input;
    return input;
  };
  const form = h('form', { class: 'card search', role: 'search', 'aria-label': 'Search the audit log' },
    h('div', { class: 'row' },
      field('User', mk('user', { type: 'text', spellcheck: 'false' })),
      field('Database', mk('database', { type: 'text', spellcheck: 'false' })),
      field('From', mk('from', { type: 'datetime-local', step: 1 })),
      field('To', mk('to', { type: 'datetime-local', step: 1 }))),
    h('div', { class: 'row' },
      field('Text', mk('text', { type: 'search', spellcheck: 'false' }), 'Matches query text, errors and other fields.'),
      field('At most', mk('limit', { type: 'number', min: 1, max: 1000, placeholder: '200' }))),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Search')));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const p = new URLSearchParams();
    for (const key of searchKeys) {
      const v = inputs[key]!.value.trim();
      if (v) p.set(key, v);
    }
    go(`/audit?${p.toString()}`);
  });
  const results = h('div', { class: 'audit-results', 'aria-live': 'polite' });
  main.append(h('h1', null, 'Audit'), form, results);

  const q: Record<string, string> = {};
  for (const key of searchKeys) {
    const v = route.params.get(key);
    if (!v) continue;
    q[key] = (key === 'from' || key === 'to') ? toIso(v) : v;
  }
  results.appendChild(message('info', 'Searching…'));
  const { events } = await api.auditEvents(q);
  if (!events.length) { results.replaceChildren(message('info', 'No event matches.')); return; }
  const tbody = h('tbody');
  for (const e of events) tbody.appendChild(eventRow(e));
  results.replaceChildren(h('p', { class: 'muted' }, `${events.length} event${events.length === 1 ? '' : 's'}, newest first.`),
    h('div', { class: 'grid-wrap' }, h('table', { class: 'grid audit' },
      h('thead', null, h('tr', null, ...['Time', 'Event', 'User', 'Database', 'Session', 'What'].map((c) => h('th', { scope: 'col' }, c)))),
      tbody)));
}

function toIso(local: string): string {
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? local : d.toISOString();
}

function eventRow(e: AuditEvent): HTMLElement {
  const what = e.query ?? e.error ?? e.end_reason ?? (e.details ? Object.entries(e.details).map(([k, v]) => `${k}=${v}`).join(' ') : '');
  return h('tr', { class: e.success === false ? 'failed' : '', 'data-code': e.code },
    h('td', { class: 'nowrap' }, formatTime(e.time)),
    h('td', null, h('span', { class: 'code', title: e.code }, e.type), e.success === false ? h('span', { class: 'badge danger' }, 'failed') : null),
    h('td', null, e.user ?? ''),
    h('td', null, [e.db_service, e.db_user && `as ${e.db_user}`, e.db_name && `on ${e.db_name}`].filter(Boolean).join(' ')),
    h('td', null, e.session_id ? h('a', { href: link('audit', 'session', e.session_id), class: 'session-link' }, e.session_id.slice(0, 8)) : ''),
    h('td', { class: 'what' }, h('span', { class: e.query ? 'sql' : '' }, truncate(what, 300))));
}

function truncate(s: string, n: number): string {
  return s.length > n ? s.slice(0, n) + '…' : s;
}

export async function auditSessionPage(main: HTMLElement, route: Route): Promise<() => void> {
  const id = route.parts[2] ?? '';
  main.append(h('p', null, h('a', { href: link('audit') }, '← Audit')), h('h1', null, 'Session playback'));
  const pb = await api.auditSession(id);
  const s = pb.session as Record<string, unknown>;
  const facts: Array<[string, unknown]> = [
    ['Session', s['session_id'] ?? id], ['User', s['user']], ['Database', s['database'] ?? s['db_service']],
    ['Protocol', s['protocol'] ?? s['db_protocol']], ['Database user', s['db_user']], ['Database name', s['db_name']],
    ['Started', formatTime(s['start'] as string ?? s['started'] as string)], ['Ended', formatTime(s['end'] as string ?? s['ended'] as string)],
    ['End reason', s['end_reason']],
  ];
  const dl = h('dl', { class: 'facts' });
  for (const [k, v] of facts) {
    if (v === undefined || v === null || v === '') continue;
    dl.append(h('dt', null, k), h('dd', null, String(v)));
  }
  main.appendChild(dl);

  const statements = pb.statements ?? [];
  if (!statements.length) {
    main.appendChild(message('info', 'This session ran no statements.'));
    return () => {};
  }
  const play = h('button', { type: 'button', class: 'primary', id: 'play' }, 'Play');
  const stop = h('button', { type: 'button', disabled: true }, 'Stop');
  const speed = h('select', { name: 'speed' }, ...['1', '2', '5', '10'].map((v) => h('option', { value: v, selected: v === '5' }, `${v}×`)));
  const progress = h('div', { class: 'playback-status', role: 'status', 'aria-live': 'polite' }, `${statements.length} statements.`);
  const screen = h('pre', { class: 'screen', 'aria-label': 'Playback', tabindex: '0' });
  const rows = statements.map((st, i) => statementRow(st, i));
  main.append(
    h('div', { class: 'actions playback' }, play, stop, field('Speed', speed)),
    progress, screen,
    h('div', { class: 'grid-wrap' }, h('table', { class: 'grid statements' },
      h('thead', null, h('tr', null, ...['#', 'At', 'Kind', 'Statement', 'Rows', 'Bytes', 'Took', 'Result'].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', null, ...rows))));

  let timer: number | undefined;
  let stopped = false;
  const halt = () => { stopped = true; if (timer !== undefined) clearTimeout(timer); play.disabled = false; stop.disabled = true; };
  stop.addEventListener('click', () => { halt(); progress.textContent = 'Stopped.'; });
  play.addEventListener('click', () => {
    stopped = false;
    play.disabled = true;
    stop.disabled = false;
    screen.textContent = '';
    main.dataset['playback'] = 'playing';
    rows.forEach((r) => r.classList.remove('played', 'playing'));
    const step = (i: number) => {
      if (stopped) return;
      if (i > 0) { rows[i - 1]!.classList.remove('playing'); rows[i - 1]!.classList.add('played'); }
      if (i >= statements.length) {
        halt();
        progress.textContent = `Played ${statements.length} statements.`;
        main.dataset['playback'] = 'done';
        return;
      }
      const st = statements[i]!;
      rows[i]!.classList.add('playing');
      progress.textContent = `Statement ${i + 1} of ${statements.length}`;
      screen.append(screenLines(st));
      screen.scrollTop = screen.scrollHeight;
      const next = statements[i + 1];
      // The real gap between statements, sped up and capped at 2 s so long pauses do not stall the page.
      const gap = next ? Math.min(2000, Math.max(0, (next.offset_ms - st.offset_ms) / Number(speed.value))) : 0;
      timer = window.setTimeout(() => step(i + 1), gap);
    };
    step(0);
  });
  return halt;
}

function screenLines(st: PlaybackStatement): string {
  const at = `[+${(st.offset_ms / 1000).toFixed(3)}s]`;
  const q = (st.query ?? `(${st.kind})`).trim();
  const params = st.parameters?.length ? `\n    parameters: ${st.parameters.map((p) => (p === null ? 'NULL' : p)).join(', ')}` : '';
  const result = st.error ? `ERROR ${withCode(st)}`.replace(/\s+/g, ' ') : `${st.rows ?? 0} row${st.rows === 1 ? '' : 's'}${st.duration_us != null ? ` in ${ms(st.duration_us)}` : ''}`;
  return `${at} ${q}${params}\n    → ${result}\n`;
}

function ms(us: number): string {
  return us < 1000 ? `${us} µs` : `${(us / 1000).toFixed(us < 10_000 ? 2 : 0)} ms`;
}

function statementRow(st: PlaybackStatement, i: number): HTMLElement {
  return h('tr', { class: st.error ? 'failed' : '' },
    h('td', null, String(i + 1)),
    h('td', { class: 'nowrap' }, `+${(st.offset_ms / 1000).toFixed(3)}s`),
    h('td', null, st.kind),
    h('td', { class: 'sql' }, st.query ?? '', st.parameters?.length ? h('div', { class: 'muted' }, `parameters: ${st.parameters.map((p) => p ?? 'NULL').join(', ')}`) : null),
    h('td', { class: 'num' }, st.rows != null ? String(st.rows) : ''),
    h('td', { class: 'num' }, st.bytes != null ? String(st.bytes) : ''),
    h('td', { class: 'num' }, st.duration_us != null ? ms(st.duration_us) : ''),
    h('td', null, st.error ? h('span', { class: 'error-text' }, withCode(st)) : 'ok'));
}

/** The error with its code in front, once (a database error's text often starts with its code already). */
function withCode(st: PlaybackStatement): string {
  const error = st.error ?? '';
  return !st.code || error.startsWith(st.code) ? error : `${st.code} ${error}`;
}
