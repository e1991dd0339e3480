// Ferry's web UI: a single page on hash routes. Boots by asking ferryd for the web session; without one
// every route shows the login page.
import { ApiError, api, setUnauthorizedHandler } from './api';
import { h, message, replace } from './dom';
import { currentRoute, go, link, type Route } from './router';
import { onSessionChange, session, setSession } from './state';
import { loginPage } from './pages/login';
import { databasesPage } from './pages/databases';
import { consolePage, closeAllConsoles } from './pages/console';
import { requestsPage } from './pages/requests';
import { auditPage, auditSessionPage } from './pages/audit';
import { accountPage } from './pages/account';
import { adminPage } from './pages/admin';

export type Cleanup = () => void;
export type Page = (main: HTMLElement, route: Route) => Promise<Cleanup | void> | Cleanup | void;

const nav = h('nav', { class: 'nav', 'aria-label': 'Main' });
const userBox = h('div', { class: 'userbox' });
const main = h('main', { id: 'main', tabindex: '-1' });
let cleanup: Cleanup | null = null;
let renderSeq = 0;

function shell(): void {
  const skip = h('a', { class: 'skip', href: '#main', onclick: (e: Event) => { e.preventDefault(); main.focus(); } }, 'Skip to content');
  const header = h('header', { class: 'top' },
    h('a', { class: 'brand', href: link('databases'), 'aria-label': 'Ferry home' }, h('span', { class: 'brand-mark', 'aria-hidden': 'true' }, '⛴'), 'Ferry'),
    nav, userBox);
  document.body.append(skip, header, main);
}

function renderNav(): void {
  const s = session();
  nav.replaceChildren();
  userBox.replaceChildren();
  if (!s) return;
  const route = currentRoute().parts[0] ?? '';
  const items: Array<[string, string, boolean]> = [
    ['databases', 'Databases', true],
    ['requests', 'Access requests', true],
    ['audit', 'Audit', s.can.audit],
    ['account', 'Account', true],
    ['admin', 'Admin', s.can.admin],
  ];
  const list = h('ul');
  for (const [path, label, shown] of items) {
    if (!shown) continue;
    const a = h('a', { href: link(path) }, label);
    if (route === path || (path === 'databases' && route === 'console')) a.setAttribute('aria-current', 'page');
    list.appendChild(h('li', null, a));
  }
  nav.appendChild(list);
  userBox.append(
    h('span', { class: 'who', title: `roles: ${s.roles.join(', ')}` }, s.user),
    h('button', { type: 'button', class: 'link', onclick: logout }, 'Log out'));
}

async function logout(): Promise<void> {
  closeAllConsoles();
  try { await api.logout(); } catch { /* the session may be gone already */ }
  setSession(null);
  go('/login?logged_out=1');
}

async function render(): Promise<void> {
  const seq = ++renderSeq;
  if (cleanup) { try { cleanup(); } catch { /* ignore */ } cleanup = null; }
  const route = currentRoute();
  const name = route.parts[0] ?? '';
  renderNav();
  if (!session() && name !== 'login') {
    go('/login');
    return;
  }
  if (session() && (name === 'login' || name === '')) {
    go('/databases');
    return;
  }
  let page: Page;
  switch (name) {
    case 'login': page = loginPage; break;
    case 'databases': page = databasesPage; break;
    case 'console': page = consolePage; break;
    case 'requests': page = requestsPage; break;
    case 'audit': page = route.parts[1] === 'session' ? auditSessionPage : auditPage; break;
    case 'account': page = accountPage; break;
    case 'admin': page = adminPage; break;
    default:
      replace(main, h('h1', null, 'Not found'), message('error', `There is no page "${name}".`), h('a', { href: link('databases') }, 'Go to the databases'));
      return;
  }
  main.replaceChildren();
  main.removeAttribute('aria-busy');
  try {
    const result = await page(main, route);
    if (seq === renderSeq && result) cleanup = result;
  } catch (e) {
    if (seq !== renderSeq) return;
    if (e instanceof ApiError && e.status === 401) return;
    main.appendChild(message('error', (e as Error).message));
  }
}

async function boot(): Promise<void> {
  shell();
  setUnauthorizedHandler(() => {
    if (!session()) return;
    closeAllConsoles();
    setSession(null);
    go('/login?expired=1');
  });
  onSessionChange(renderNav);
  try {
    setSession(await api.session());
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 401) {
      main.appendChild(message('error', (e as Error).message));
    }
  }
  window.addEventListener('hashchange', () => { void render(); });
  await render();
  document.documentElement.dataset['ready'] = '1';
}

void boot();
