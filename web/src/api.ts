// The one place that talks to ferryd's /web/api. Same origin only; the session cookie is HttpOnly and
// SameSite=Strict, and every request that changes something carries the CSRF token in X-Ferry-Csrf.
// Query text travels in request bodies only, never in a URL.

export interface Session {
  user: string;
  roles: string[];
  csrf_token: string;
  expires: string;
  idle_expires: string;
  can: { audit: boolean; admin: boolean; review: boolean };
  mfa: { totp: boolean; webauthn: boolean };
  /** The single sign-on connector the user signed in through; null after a password or security-key sign-in. */
  connector?: string | null;
}

export interface Database {
  name: string;
  protocol: 'postgres' | 'mysql';
  labels: Record<string, string>;
  health: 'healthy' | 'unhealthy' | 'unknown';
  health_error?: string | null;
  description?: string;
  db_users: string[];
  db_names: string[];
  require_session_mfa: boolean;
  connect: Record<string, string>;
}

export interface Console {
  console_id: string;
  database: string;
  db_user: string;
  db_name: string;
  protocol: 'postgres' | 'mysql';
}

export interface Column { name: string; type: string }

export interface DbError { code: string; message: string; detail?: string | null }

export interface QueryResult {
  columns?: Column[];
  rows?: (string | null)[][];
  row_count?: number;
  has_more?: boolean;
  tag?: string | null;
  duration_ms?: number;
  notices?: string[];
  truncated?: boolean | null;
  error?: DbError;
}

export interface RowsPage { rows: (string | null)[][]; offset: number; has_more: boolean }

export interface SchemaObject { schema: string; name: string; kind: string }
export interface SchemaColumn { name: string; type: string; nullable: boolean }

export interface AccessReview { reviewer: string; decision: string; reason: string; time: string }
export interface AccessRequest {
  id: string;
  user: string;
  roles: string[];
  resources: string[];
  reason: string;
  state: string;
  created: string;
  pending_expires: string;
  duration_seconds: number;
  access_expires?: string | null;
  suggested_reviewers?: string[];
  reviews?: AccessReview[];
  resolution?: string | null;
}

export interface AuditEvent {
  id: string;
  time: string;
  code: string;
  type: string;
  user?: string | null;
  roles?: string[] | null;
  session_id?: string | null;
  success?: boolean;
  error?: string | null;
  db_service?: string | null;
  db_protocol?: string | null;
  db_user?: string | null;
  db_name?: string | null;
  query?: string | null;
  rows?: number | null;
  duration_us?: number | null;
  end_reason?: string | null;
  client_addr?: string | null;
  details?: Record<string, string> | null;
}

export interface PlaybackStatement {
  time: string;
  offset_ms: number;
  kind: string;
  query: string | null;
  parameters?: (string | null)[] | null;
  rows?: number | null;
  bytes?: number | null;
  duration_us?: number | null;
  error?: string | null;
  code?: string | null;
}

export interface Playback {
  session: Record<string, unknown>;
  statements: PlaybackStatement[];
}

export interface MfaDevice { name: string; kind: 'totp' | 'webauthn'; added: string }
export interface Connector { name: string; display_name: string }

/** An HTTP error from the API: status, the server's stable code and its message for a person. */
export class ApiError extends Error {
  constructor(public readonly status: number, public readonly code: string, message: string) {
    super(message);
  }
}

let csrfToken = '';
let onUnauthorized: (() => void) | null = null;

export function setCsrfToken(token: string): void { csrfToken = token; }
export function setUnauthorizedHandler(handler: () => void): void { onUnauthorized = handler; }

const base = '/web/api';

async function request(method: string, path: string, body?: unknown, opts: { raw?: boolean; quiet401?: boolean } = {}): Promise<Response> {
  const headers: Record<string, string> = { Accept: opts.raw ? '*/*' : 'application/json' };
  if (method !== 'GET' && method !== 'HEAD') headers['X-Ferry-Csrf'] = csrfToken;
  let payload: string | undefined;
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  let res: Response;
  try {
    res = await fetch(base + path, { method, headers, body: payload, credentials: 'same-origin', cache: 'no-store', redirect: 'error' });
  } catch (e) {
    throw new ApiError(0, 'network', `ferryd did not answer (${(e as Error).message}); check that it is running and reachable`);
  }
  if (res.ok) return res;
  let code = `http_${res.status}`;
  let text = `${res.status} ${res.statusText}`;
  try {
    const data = await res.json() as { error?: string; code?: string };
    if (data.error) text = data.error;
    if (data.code) code = data.code;
  } catch { /* not JSON */ }
  if (res.status === 401 && !opts.quiet401 && onUnauthorized) onUnauthorized();
  throw new ApiError(res.status, code, text);
}

async function json<T>(method: string, path: string, body?: unknown, opts: { quiet401?: boolean } = {}): Promise<T> {
  const res = await request(method, path, body, opts);
  if (res.status === 204 || res.status === 202) return undefined as T;
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

const enc = encodeURIComponent;

export const api = {
  session: () => json<Session>('GET', '/session', undefined, { quiet401: true }),
  login: (user: string, password: string, otp: string) => json<Session>('POST', '/login', { user, password, otp }, { quiet401: true }),
  logout: () => json<void>('POST', '/logout'),
  connectors: () => json<Connector[]>('GET', '/sso/connectors', undefined, { quiet401: true }),
  webauthnLoginBegin: (user: string) => json<{ challenge_id: string; options: unknown }>('POST', '/webauthn/login/begin', { user }, { quiet401: true }),
  webauthnLoginFinish: (user: string, password: string, challenge_id: string, credential: unknown) =>
    json<Session>('POST', '/webauthn/login/finish', { user, password, challenge_id, credential }, { quiet401: true }),
  /**
   * Registration starts with a fresh re-authentication: password + one-time code, an existing key's assertion (`reauth`),
   * or (`sso`) a sign-in again at the SSO provider moments ago (/web/api/sso/start?reauth=1).
   */
  webauthnRegisterBegin: (proof: { password: string; otp: string } | { reauth: { challenge_id: string; credential: unknown } } | { sso: true }) =>
    json<{ challenge_id: string; options: unknown }>('POST', '/webauthn/register/begin', proof),
  webauthnRegisterFinish: (challenge_id: string, name: string, credential: unknown) =>
    json<{ device: string }>('POST', '/webauthn/register/finish', { challenge_id, name, credential }),
  mfaDevices: () => json<MfaDevice[]>('GET', '/mfa/devices'),
  databases: (labels?: string) => json<Database[]>('GET', '/databases' + (labels ? `?labels=${enc(labels)}` : '')),
  openConsole: (database: string, db_user: string, db_name: string, mfa_code?: string) =>
    json<Console>('POST', '/consoles', mfa_code ? { database, db_user, db_name, mfa_code } : { database, db_user, db_name }),
  query: (id: string, sql: string, page_size: number) => json<QueryResult>('POST', `/consoles/${enc(id)}/query`, { sql, page_size }),
  rows: (id: string, offset: number, limit: number) => json<RowsPage>('GET', `/consoles/${enc(id)}/rows?offset=${offset}&limit=${limit}`),
  cancel: (id: string) => json<void>('POST', `/consoles/${enc(id)}/cancel`),
  schemaObjects: (id: string) => json<{ objects: SchemaObject[] }>('GET', `/consoles/${enc(id)}/schema`),
  schemaColumns: (id: string, object: string) => json<{ columns: SchemaColumn[] }>('GET', `/consoles/${enc(id)}/schema?object=${enc(object)}`),
  schemaDatabases: (id: string) => json<{ databases: string[] }>('GET', `/consoles/${enc(id)}/schema?databases=1`),
  exportCsv: async (id: string) => {
    const res = await request('POST', `/consoles/${enc(id)}/export`, undefined, { raw: true });
    const disposition = res.headers.get('Content-Disposition') ?? '';
    const match = /filename="?([^";]+)"?/.exec(disposition);
    return { blob: await res.blob(), filename: match?.[1] ?? 'result.csv' };
  },
  closeConsole: (id: string) => json<void>('DELETE', `/consoles/${enc(id)}`),
  requests: (review: boolean) => json<AccessRequest[] | { requests: AccessRequest[] }>('GET', review ? '/requests?review=1' : '/requests')
    .then((r) => (Array.isArray(r) ? r : r?.requests ?? [])),
  createRequest: (body: { roles?: string[]; resources?: string[]; reason: string; duration?: string }) => json<AccessRequest>('POST', '/requests', body),
  reviewRequest: (id: string, decision: 'approve' | 'deny', reason: string) => json<AccessRequest>('POST', `/requests/${enc(id)}/review`, { decision, reason }),
  auditEvents: (q: Record<string, string>) => {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(q)) if (v) params.set(k, v);
    const s = params.toString();
    return json<{ events: AuditEvent[] }>('GET', '/audit/events' + (s ? `?${s}` : ''));
  },
  auditSession: (id: string) => json<Playback>('GET', `/audit/sessions/${enc(id)}`),
  admin: {
    get: <T>(path: string) => json<T>('GET', `/admin/${path}`),
    put: <T>(path: string, body: unknown) => json<T>('PUT', `/admin/${path}`, body),
    post: <T>(path: string, body: unknown) => json<T>('POST', `/admin/${path}`, body),
    del: (path: string) => json<void>('DELETE', `/admin/${path}`),
  },
};

/** Security keys beyond login and registration: session MFA for a console, and removing a key (contract: WEB-API "WebAuthn"). */
export const keyApi = {
  sessionBegin: (database: string) => json<{ challenge_id: string; options: unknown }>('POST', '/webauthn/session/begin', { database }),
  openConsole: (database: string, db_user: string, db_name: string, challenge_id: string, credential: unknown) =>
    json<Console>('POST', '/consoles', { database, db_user, db_name, webauthn: { challenge_id, credential } }),
  removeDevice: (name: string) => json<void>('DELETE', `/mfa/devices/${enc(name)}`),
  reauthBegin: () => json<{ challenge_id: string; options: unknown }>('POST', '/webauthn/reauth/begin', {}),
};
