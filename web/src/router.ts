// Hash routes: #/login, #/databases, #/console/<database>, #/requests, #/audit, #/audit/session/<id>,
// #/account, #/admin. A route may carry ?key=value after the path (#/login?error=...); nothing secret
// and no query text ever goes there.

export interface Route {
  parts: string[];
  params: URLSearchParams;
}

export function currentRoute(): Route {
  const hash = location.hash.replace(/^#\/?/, '');
  const [path, query] = splitOnce(hash, '?');
  const parts = path.split('/').filter((p) => p.length > 0).map((p) => {
    try { return decodeURIComponent(p); } catch { return p; }
  });
  return { parts, params: new URLSearchParams(query) };
}

export function go(path: string): void {
  const target = '#' + path;
  if (location.hash === target) {
    window.dispatchEvent(new HashChangeEvent('hashchange'));
  } else {
    location.hash = target;
  }
}

export function link(...parts: string[]): string {
  return '#/' + parts.map(encodeURIComponent).join('/');
}

function splitOnce(s: string, sep: string): [string, string] {
  const i = s.indexOf(sep);
  return i < 0 ? [s, ''] : [s.slice(0, i), s.slice(i + 1)];
}
