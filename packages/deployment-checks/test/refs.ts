// Batches reference extraction: @cdktf/hcl2json's getReferencesInExpression costs ~30 ms a call, so the
// "${...}" parts of many expressions are joined into one template and the positions mapped back.
import { getReferencesInExpression } from '@cdktf/hcl2json';

/** The "${...}" interpolations of a template string, as [start, end) offsets (literal text skipped). */
export function interpolations(s: string): [number, number][] {
  const out: [number, number][] = [];
  let i = 0;
  // Scans an interpolation body from just after "${" to just after its closing "}".
  const interp = (j: number): number => {
    let depth = 1;
    while (j < s.length) {
      const c = s[j];
      if (c === '"') j = str(j + 1);
      else if (c === '{') (depth++, j++);
      else if (c === '}') {
        depth--;
        j++;
        if (depth === 0) return j;
      } else j++;
    }
    throw new Error(`unterminated interpolation in ${s}`);
  };
  // Scans a quoted string from just after its opening quote to just after its closing quote.
  const str = (j: number): number => {
    while (j < s.length) {
      if (s[j] === '\\') j += 2;
      else if (s[j] === '$' && s[j + 1] === '{') j = interp(j + 2);
      else if (s[j] === '"') return j + 1;
      else j++;
    }
    throw new Error(`unterminated string in ${s}`);
  };
  while (i < s.length) {
    if (s[i] === '$' && s[i + 1] === '{') {
      const end = interp(i + 2);
      out.push([i, end]);
      i = end;
    } else i++;
  }
  return out;
}

/** References per input expression, in input order. */
export async function referencesOf(exprs: string[]): Promise<string[][]> {
  const result: string[][] = exprs.map(() => []);
  let joined = '"';
  const owner: { from: number; index: number }[] = [];
  exprs.forEach((e, index) => {
    for (const [a, b] of interpolations(e)) {
      owner.push({ from: joined.length, index });
      joined += e.slice(a, b);
    }
  });
  joined += '"';
  try {
    for (const r of await getReferencesInExpression('batch.tf', joined)) {
      let k = owner.length - 1;
      while (k > 0 && owner[k].from > r.startPosition) k--;
      result[owner[k].index].push(r.value);
    }
  } catch {
    // One unusual expression should not hide the others: fall back to one call each.
    for (const [i, e] of exprs.entries()) result[i] = (await getReferencesInExpression('x.tf', e)).map((r) => r.value);
  }
  return result;
}
