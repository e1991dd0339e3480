// What the pages share: the web session (from /web/api/session or the login answer).
import { type Session, setCsrfToken } from './api';

let current: Session | null = null;
const listeners: Array<(s: Session | null) => void> = [];

export function session(): Session | null { return current; }

export function setSession(s: Session | null): void {
  current = s;
  setCsrfToken(s?.csrf_token ?? '');
  for (const l of listeners) l(s);
}

export function onSessionChange(listener: (s: Session | null) => void): void { listeners.push(listener); }
