// Error messages that leave the process (API answers, quarantine reasons) must not reveal where
// the data lives: absolute file paths in them are replaced by their last component.

/** The message with every absolute path cut to its file name: "/srv/home/lake/x.parquet" -> "x.parquet". */
export function redactPaths(message: string): string {
  return message.replace(/(^|[\s'"(=:])(\/[^\s'"),]+)/g, (_m, pre: string, path: string) => `${pre}${path.split('/').filter(Boolean).pop() ?? ''}`);
}

/** The first line of an error's message, paths redacted. */
export function errorLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return redactPaths(msg.split('\n')[0]!.slice(0, 500));
}
