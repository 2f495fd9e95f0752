/**
 * Which task types are external (TASKS_EXTERNAL_TYPES): exact names and `prefix.*` patterns.
 * Pure, so its rules have a spec of their own.
 */
export class ExternalTypes {
  private readonly exact: Set<string>;
  private readonly prefixes: string[];

  constructor(readonly declared: string[]) {
    this.exact = new Set(declared.filter((t) => !t.endsWith('*')));
    this.prefixes = declared.filter((t) => t.endsWith('*')).map((t) => t.slice(0, -1));
  }

  get enabled(): boolean {
    return this.declared.length > 0;
  }

  /** Exact names only: the types known without looking at Redis. */
  get names(): string[] {
    return [...this.exact];
  }

  matches(type: string): boolean {
    if (this.exact.has(type)) return true;
    // `billing.*` matches `billing.invoice` (something after the prefix), never `billing.` itself.
    return this.prefixes.some((p) => type.length > p.length && type.startsWith(p));
  }
}
