// #/requests: ask for roles or a database (reason, duration), see the status of one's requests, and for
// reviewers approve or deny pending requests with a reason.
import { ApiError, api, type AccessRequest } from '../api';
import { field, formatDuration, formatTime, h, message } from '../dom';
import type { Route } from '../router';
import { session } from '../state';

export async function requestsPage(main: HTMLElement, _route: Route): Promise<void> {
  const s = session();
  const status = h('div', { class: 'status-area' });
  const kind = h('select', { name: 'kind' },
    h('option', { value: 'resource' }, 'A database'),
    h('option', { value: 'roles' }, 'Roles'));
  const target = h('input', { name: 'target', type: 'text', required: true, maxlength: 512, spellcheck: 'false' });
  const reason = h('textarea', { name: 'reason', rows: 2, required: true, maxlength: 1024 });
  const duration = h('input', { name: 'duration', type: 'text', placeholder: '1h', maxlength: 16, spellcheck: 'false' });
  const targetField = field('Database', target, 'The database name, as in ferry db ls (several: separate with commas).');
  kind.addEventListener('change', () => {
    const roles = kind.value === 'roles';
    targetField.querySelector('label')!.textContent = roles ? 'Roles' : 'Database';
    targetField.querySelector('.hint')!.textContent = roles ? 'Role names, separated by commas.' : 'The database name, as in ferry db ls (several: separate with commas).';
  });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Request access');
  const form = h('form', { class: 'card', 'aria-labelledby': 'new-request' },
    h('h2', { id: 'new-request' }, 'Ask for access'),
    status,
    h('div', { class: 'row' }, field('Ask for', kind), targetField),
    field('Reason', reason, 'Reviewers see this; say what you need the access for.'),
    field('Duration', duration, 'How long the access should last once approved, e.g. 30m, 1h, 4h. Empty: the role\'s default.'),
    h('div', { class: 'actions' }, submit));

  const mine = h('section', { 'aria-labelledby': 'my-requests' }, h('h2', { id: 'my-requests' }, 'My requests'));
  const review = h('section', { 'aria-labelledby': 'to-review' }, h('h2', { id: 'to-review' }, 'To review'));
  main.append(h('h1', null, 'Access requests'), form, mine);
  if (s?.can.review) main.append(review);

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const items = target.value.split(',').map((t) => t.trim()).filter((t) => t);
    if (!items.length || !reason.value.trim()) {
      status.replaceChildren(message('error', `Fill in ${items.length ? 'a reason' : kind.value === 'roles' ? 'the roles' : 'the database'}.`));
      return;
    }
    submit.disabled = true;
    try {
      const body = kind.value === 'roles'
        ? { roles: items, reason: reason.value.trim() }
        : { resources: items.map((i) => (i.startsWith('db/') ? i : `db/${i}`)), reason: reason.value.trim() };
      const created = await api.createRequest(duration.value.trim() ? { ...body, duration: duration.value.trim() } : body);
      status.replaceChildren(message('ok', `Request ${created.id} created: ${created.state}. A reviewer has to approve it.`));
      form.reset();
      await refresh();
    } catch (err) {
      status.replaceChildren(message('error', (err as Error).message));
    } finally {
      submit.disabled = false;
    }
  });

  const refresh = async () => {
    const list = await api.requests(false);
    const own = list.filter((r) => r.user === s?.user);
    mine.replaceChildren(mine.firstChild!, own.length ? requestTable(own, false, refresh) : h('p', { class: 'muted' }, 'You have not asked for access yet.'));
    if (s?.can.review) {
      try {
        const others = (await api.requests(true)).filter((r) => r.user !== s.user);
        review.replaceChildren(review.firstChild!, others.length ? requestTable(others, true, refresh) : h('p', { class: 'muted' }, 'Nothing to review.'));
      } catch (err) {
        review.replaceChildren(review.firstChild!, message('error', (err as Error).message));
      }
    }
  };
  await refresh();
}

function requestTable(list: AccessRequest[], reviewing: boolean, refresh: () => Promise<void>): HTMLElement {
  const table = h('table', { class: 'grid requests' },
    h('thead', null, h('tr', null, ...['Requested', 'By', 'For', 'Reason', 'Duration', 'Status', reviewing ? 'Review' : 'Reviews'].map((c) => h('th', { scope: 'col' }, c)))));
  const tbody = h('tbody');
  for (const r of list.sort((a, b) => b.created.localeCompare(a.created))) {
    const what = [...(r.roles ?? []).map((x) => `role ${x}`), ...(r.resources ?? [])].join(', ');
    const statusCell = h('td', null, h('span', { class: `state state-${r.state}` }, r.state),
      r.access_expires ? h('div', { class: 'muted' }, `until ${formatTime(r.access_expires)}`) : null,
      r.resolution ? h('div', { class: 'muted' }, r.resolution) : null);
    const last = h('td');
    if (reviewing && r.state === 'pending') {
      last.appendChild(reviewForm(r, refresh));
    } else {
      for (const rv of r.reviews ?? []) last.appendChild(h('div', null, `${rv.decision} by ${rv.reviewer}: ${rv.reason}`));
    }
    tbody.appendChild(h('tr', { 'data-request': r.id }, h('td', null, formatTime(r.created)), h('td', null, r.user), h('td', null, what),
      h('td', null, r.reason), h('td', null, r.duration_seconds ? formatDuration(r.duration_seconds) : ''), statusCell, last));
  }
  table.appendChild(tbody);
  return h('div', { class: 'grid-wrap' }, table);
}

function reviewForm(r: AccessRequest, refresh: () => Promise<void>): HTMLElement {
  const reason = h('input', { type: 'text', name: 'review_reason', maxlength: 1024, 'aria-label': `Reason for the decision on ${r.user}'s request` });
  const out = h('div', { role: 'status' });
  const approve = h('button', { type: 'button', class: 'small primary' }, 'Approve');
  const deny = h('button', { type: 'button', class: 'small danger' }, 'Deny');
  const decide = async (decision: 'approve' | 'deny') => {
    if (!reason.value.trim()) { out.replaceChildren(message('error', 'Give a reason.')); reason.focus(); return; }
    approve.disabled = deny.disabled = true;
    try {
      await api.reviewRequest(r.id, decision, reason.value.trim());
      await refresh();
    } catch (err) {
      out.replaceChildren(message('error', err instanceof ApiError ? err.message : String(err)));
      approve.disabled = deny.disabled = false;
    }
  };
  approve.addEventListener('click', () => void decide('approve'));
  deny.addEventListener('click', () => void decide('deny'));
  return h('div', { class: 'review' }, reason, approve, deny, out);
}
