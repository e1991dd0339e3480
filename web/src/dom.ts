// Small DOM helpers: every element is built with createElement and text nodes (never innerHTML from data),
// so nothing a database or a user typed can become markup, and nothing needs an inline style or script.

export type Child = Node | string | number | null | undefined | false;

export interface Attrs {
  [name: string]: string | number | boolean | null | undefined | EventListener | ((e: never) => void);
}

/** h('button', { class: 'primary', onclick: run }, 'Run') */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs | null = null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [name, value] of Object.entries(attrs)) {
      if (value === null || value === undefined || value === false) continue;
      if (name.startsWith('on') && typeof value === 'function') {
        el.addEventListener(name.slice(2), value as EventListener);
      } else if (name === 'class') {
        el.className = String(value);
      } else if (name === 'value' && 'value' in el) {
        (el as HTMLInputElement).value = String(value);
      } else if (value === true) {
        el.setAttribute(name, '');
      } else {
        el.setAttribute(name, String(value));
      }
    }
  }
  append(el, children);
  return el;
}

export function append(parent: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child);
  }
}

export function clear(el: Element): void {
  while (el.firstChild) el.removeChild(el.firstChild);
}

export function replace(el: Element, ...children: Child[]): void {
  clear(el);
  append(el, children);
}

let nextId = 0;
/** A unique id for label/for pairs. */
export function uid(prefix: string): string {
  nextId += 1;
  return `${prefix}-${nextId}`;
}

/** A labelled form field: <div class="field"><label for=id>Label</label><input id=id ...></div>. */
export function field(label: string, input: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement, hint?: string): HTMLDivElement {
  if (!input.id) input.id = uid('f');
  const wrap = h('div', { class: 'field' }, h('label', { for: input.id }, label), input);
  if (hint) {
    const hintEl = h('div', { class: 'hint', id: `${input.id}-hint` }, hint);
    input.setAttribute('aria-describedby', hintEl.id);
    wrap.appendChild(hintEl);
  }
  return wrap;
}

export function select(options: string[], selected?: string, attrs: Attrs = {}): HTMLSelectElement {
  const el = h('select', attrs);
  for (const o of options) {
    const opt = h('option', { value: o }, o);
    if (o === selected) opt.selected = true;
    el.appendChild(opt);
  }
  return el;
}

/** A message box: kind 'error' is announced (role=alert), others politely (role=status). */
export function message(kind: 'error' | 'info' | 'ok', ...children: Child[]): HTMLDivElement {
  return h('div', { class: `msg msg-${kind}`, role: kind === 'error' ? 'alert' : 'status' }, ...children);
}

export function formatTime(value: string | null | undefined): string {
  if (!value) return '';
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return value;
  return d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)}m`;
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.round((seconds % 3600) / 60);
  return minutes ? `${hours}h${minutes}m` : `${hours}h`;
}

/** Copies text to the clipboard; falls back to selecting it in a temporary field. */
export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const area = h('textarea', { class: 'offscreen', readonly: true, 'aria-hidden': 'true' });
    area.value = text;
    document.body.appendChild(area);
    area.select();
    let ok = false;
    try { ok = document.execCommand('copy'); } catch { ok = false; }
    area.remove();
    return ok;
  }
}
