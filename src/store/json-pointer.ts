/**
 * Removes what JSON pointers (RFC 6901, with `*` for every array item) name
 * from a JSON value, returning a copy: how forgetProfile erases the personal
 * data a metric's `piiFields` point at.
 */
export function removePointers(value: unknown, pointers: readonly string[]): unknown {
  let out = structuredClone(value);
  for (const pointer of pointers) out = removeAt(out, pointer.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~')));
  return out;
}

function removeAt(node: unknown, path: readonly string[]): unknown {
  const [head, ...rest] = path;
  if (head === undefined || node === null || typeof node !== 'object') return node;
  if (Array.isArray(node)) {
    const indexes = head === '*' ? node.map((_, i) => i) : /^\d+$/.test(head) ? [Number(head)] : [];
    if (rest.length === 0) return node.filter((_, i) => !indexes.includes(i));
    for (const index of indexes) if (index < node.length) node[index] = removeAt(node[index], rest);
    return node;
  }
  const record = node as Record<string, unknown>;
  if (!(head in record)) return node;
  if (rest.length === 0) delete record[head];
  else record[head] = removeAt(record[head], rest);
  return node;
}
