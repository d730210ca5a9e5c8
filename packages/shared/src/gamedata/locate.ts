/** Maps a path inside a parsed YAML document to a line and column. */

import { type Document, isMap, isScalar, isSeq, type LineCounter, type Node } from 'yaml';

/** A parsed file kept for locating findings. */
export interface ParsedSource {
  readonly file: string;
  readonly doc: Document.Parsed;
  readonly lines: LineCounter;
}

/**
 * The position of `path` in the document: the key of the deepest map entry or the deepest sequence item that
 * exists along the path. A path to a missing field points at the object that lacks it.
 */
export function locate(source: ParsedSource, path: readonly PropertyKey[]): { line: number; column: number } {
  let node: unknown = source.doc.contents;
  let at: Node | null = (node as Node | null) ?? null;
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === String(seg));
      if (!pair) break;
      if (pair.key && (pair.key as Node).range) at = pair.key as Node;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg];
      if (item === undefined || item === null) break;
      at = item as Node;
      node = item;
    } else {
      break;
    }
  }
  const offset = at?.range?.[0] ?? 0;
  const pos = source.lines.linePos(offset);
  return { line: pos.line, column: pos.col };
}
