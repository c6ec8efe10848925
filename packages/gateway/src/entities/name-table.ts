/**
 * An open-addressing hash table from names to entity slots, built in the snapshot worker and read on
 * the event loop as it arrives: installing a snapshot of 10,000 keys costs the event loop no map
 * building at all, and a lookup is one hash of the name and a comparison or two.
 *
 * Names are joined in one string (name i ends at nameEnds[i]); `table` holds name indexes, -1 empty,
 * sized to a power of two at least twice the names, so probes stay short.
 */
export interface NameTable {
  names: string;
  nameEnds: Uint32Array;
  slots: Uint32Array;
  table: Int32Array;
  /** Entities of this kind (a name per entity, or two: id and slug). */
  count: number;
}

/** FNV-1a over UTF-16 code units: the same on both threads. */
export function nameHash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Builds the table for names given in order; a later name equal to an earlier one replaces it. */
export function buildNameTable(names: string[], slots: number[], count: number): NameTable {
  let size = 8;
  while (size < names.length * 2) size *= 2;
  const mask = size - 1;
  const table = new Int32Array(size).fill(-1);
  const joined = names.join('');
  const nameEnds = new Uint32Array(names.length);
  let at = 0;
  for (let i = 0; i < names.length; i++) nameEnds[i] = at += names[i].length;
  const t: NameTable = { names: joined, nameEnds, slots: Uint32Array.from(slots), table, count };
  for (let i = 0; i < names.length; i++) {
    let p = nameHash(names[i]) & mask;
    for (;;) {
      const j = table[p];
      if (j === -1 || sameName(t, j, names[i])) {
        table[p] = i;
        break;
      }
      p = (p + 1) & mask;
    }
  }
  return t;
}

function sameName(t: NameTable, i: number, name: string): boolean {
  const start = i === 0 ? 0 : t.nameEnds[i - 1];
  return t.nameEnds[i] - start === name.length && t.names.startsWith(name, start);
}

/** The slot a name leads to, or -1. */
export function lookupName(t: NameTable, name: string): number {
  const mask = t.table.length - 1;
  let p = nameHash(name) & mask;
  for (;;) {
    const i = t.table[p];
    if (i === -1) return -1;
    if (sameName(t, i, name)) return t.slots[i];
    p = (p + 1) & mask;
  }
}
