// The console's statement history: per database, in this tab's sessionStorage only (never in the URL,
// gone when the tab closes). Bounded: at most 50 entries of at most 64 KiB each.
const MAX_ENTRIES = 50;
const MAX_ENTRY_CHARS = 65_536;

export class History {
  private entries: string[];
  private index: number;
  private pending = '';

  constructor(private readonly key: string) {
    this.entries = load(key);
    this.index = this.entries.length;
  }

  push(sql: string): void {
    const text = sql.trim();
    if (!text || text.length > MAX_ENTRY_CHARS) { this.index = this.entries.length; return; }
    if (this.entries[this.entries.length - 1] !== text) this.entries.push(text);
    while (this.entries.length > MAX_ENTRIES) this.entries.shift();
    this.index = this.entries.length;
    this.pending = '';
    save(this.key, this.entries);
  }

  /** The previous entry (keeping what was being typed), or null at the oldest. */
  back(currentText: string): string | null {
    if (this.index === 0 || this.entries.length === 0) return null;
    if (this.index === this.entries.length) this.pending = currentText;
    this.index -= 1;
    return this.entries[this.index] ?? null;
  }

  /** The next entry, or what was being typed after the newest; null when already there. */
  forward(): string | null {
    if (this.index >= this.entries.length) return null;
    this.index += 1;
    return this.index === this.entries.length ? this.pending : this.entries[this.index] ?? null;
  }

  draft(): string {
    try { return sessionStorage.getItem(this.key + '.draft') ?? ''; } catch { return ''; }
  }

  saveDraft(text: string): void {
    try {
      if (text.length <= MAX_ENTRY_CHARS) sessionStorage.setItem(this.key + '.draft', text);
    } catch { /* storage full or disabled */ }
  }
}

function load(key: string): string[] {
  try {
    const v = JSON.parse(sessionStorage.getItem(key) ?? '[]') as unknown;
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string').slice(-MAX_ENTRIES) : [];
  } catch {
    return [];
  }
}

function save(key: string, entries: string[]): void {
  try { sessionStorage.setItem(key, JSON.stringify(entries)); } catch { /* storage full or disabled */ }
}
