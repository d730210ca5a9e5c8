/** Diagnostics: what the validator reports, each tied to a file, a line and a path inside the document. */

/** How bad a finding is: errors block publishing, warnings are for designers to judge. */
export type Severity = 'error' | 'warning';

/** One finding. `line`/`column` are 1-based; 0 when there is no place to point at (a section missing everywhere). */
export interface Diagnostic {
  readonly severity: Severity;
  /** Stable code, e.g. `SCHEMA`, `UNKNOWN_REF`, `STAT_OUTLIER`. */
  readonly code: string;
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** Path inside the document, e.g. `cards[3].keywords[1]`. */
  readonly path: string;
  readonly message: string;
}

/** Formats a path of keys and indexes as `cards[3].effect.amount`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? String(seg) : `.${String(seg)}`;
  }
  return out;
}

/** `file:line:column: severity path: message [code]`, the shape editors and CI annotate. */
export function formatDiagnostic(d: Diagnostic): string {
  const where = d.line > 0 ? `${d.file}:${d.line}:${d.column}` : d.file;
  return `${where}: ${d.severity} ${d.path ? `${d.path}: ` : ''}${d.message} [${d.code}]`;
}
