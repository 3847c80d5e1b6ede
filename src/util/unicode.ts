// Well-formed Unicode: a JavaScript string may hold a lone surrogate ("\ud800" from JSON), which
// no UTF-8 encoder, Parquet writer or JSON reader downstream accepts. Node 20 has the ES2024
// String methods; the project's TypeScript library target predates them, hence these wrappers.
interface WellFormedString { isWellFormed(): boolean; toWellFormed(): string }

/** Whether the string has no lone surrogate. */
export function isWellFormed(s: string): boolean {
  return (s as unknown as WellFormedString).isWellFormed();
}

/** The string with each lone surrogate replaced by U+FFFD. */
export function toWellFormed(s: string): string {
  return (s as unknown as WellFormedString).toWellFormed();
}
