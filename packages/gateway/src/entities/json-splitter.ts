/**
 * Splits one JSON object, fed in pieces, into its top-level members, and the elements of top-level
 * arrays one by one. A sync snapshot of 10,000 keys is megabytes of JSON: one JSON.parse of it would
 * hold the event loop for tens of milliseconds, so requests would wait. Fed chunk by chunk as the body
 * arrives, each piece costs a scan of its own bytes and a JSON.parse of small elements.
 *
 * Emits `{ key, element }` for every element of an array member, and `{ key, value }` (the member's
 * JSON text) for every other member. Throws on text that is not a JSON object.
 */
export type SplitPart = { key: string; element: string } | { key: string; value: string };

const QUOTE = 34; // "
const BACKSLASH = 92;
const COMMA = 44;
const COLON = 58;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;

function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9;
}

export class TopLevelSplitter {
  private text = '';
  /** Next index of `text` to scan. */
  private at = 0;
  private depth = 0;
  private inString = false;
  private escaped = false;
  private phase: 'start' | 'key' | 'colon' | 'value' | 'after' | 'done' = 'start';
  private key = '';
  private keyStart = -1;
  /** Start of a non-array member's value, or -1. */
  private valueStart = -1;
  /** Inside an array member: start of the current element, or -1. */
  private inArray = false;
  private elemStart = -1;

  /** Feeds the next piece of text; returns the parts it completed. */
  feed(piece: string): SplitPart[] {
    const out: SplitPart[] = [];
    this.text += piece;
    const t = this.text;
    for (let i = this.at; i < t.length; i++) {
      const c = t.charCodeAt(i);
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === BACKSLASH) this.escaped = true;
        else if (c === QUOTE) {
          this.inString = false;
          if (this.depth === 1 && this.phase === 'key') {
            this.key = JSON.parse(t.slice(this.keyStart, i + 1)) as string;
            this.keyStart = -1;
            this.phase = 'colon';
          }
        }
        continue;
      }
      if (isSpace(c)) continue;
      if (this.phase === 'done') throw new Error('unexpected text after the end of the JSON object');
      if (this.depth === 0) {
        if (c !== OPEN_BRACE) throw new Error('expected a JSON object');
        this.depth = 1;
        this.phase = 'key';
        continue;
      }
      if (this.depth === 1) {
        if (this.phase === 'key') {
          if (c === QUOTE) {
            this.inString = true;
            this.keyStart = i;
          } else if (c === CLOSE_BRACE) this.finish();
          else throw new Error('expected a member name');
          continue;
        }
        if (this.phase === 'colon') {
          if (c !== COLON) throw new Error(`expected ":" after "${this.key}"`);
          this.phase = 'value';
          continue;
        }
        if (this.phase === 'value' && this.valueStart === -1) {
          if (c === OPEN_BRACKET) {
            this.inArray = true;
            this.depth = 2;
            continue;
          }
          this.valueStart = i;
          if (c === QUOTE) this.inString = true;
          else if (c === OPEN_BRACE) this.depth = 2;
          continue;
        }
        // After a value (or in a scalar value): a comma or the closing brace ends the member.
        if (c === COMMA || c === CLOSE_BRACE) {
          if (this.valueStart !== -1) out.push({ key: this.key, value: t.slice(this.valueStart, i).trim() });
          this.valueStart = -1;
          if (c === COMMA) this.phase = 'key';
          else this.finish();
          continue;
        }
        if (this.phase === 'after') throw new Error(`expected "," or "}" after "${this.key}"`);
        continue; // inside a scalar (number, true, null)
      }
      // depth >= 2
      if (this.inArray && this.depth === 2) {
        if (c === COMMA || c === CLOSE_BRACKET) {
          if (this.elemStart !== -1) out.push({ key: this.key, element: t.slice(this.elemStart, i).trim() });
          this.elemStart = -1;
          if (c === CLOSE_BRACKET) {
            this.inArray = false;
            this.depth = 1;
            this.phase = 'after';
          }
          continue;
        }
        if (this.elemStart === -1) this.elemStart = i;
      }
      if (c === QUOTE) this.inString = true;
      else if (c === OPEN_BRACE || c === OPEN_BRACKET) this.depth++;
      else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
        this.depth--;
        // A non-array object member closed: it ends at the next comma or brace at depth 1.
      }
    }
    this.compact();
    return out;
  }

  /** Throws unless the whole object was read. */
  end(): void {
    if (this.phase !== 'done') throw new Error('the JSON object ended early');
  }

  private finish(): void {
    this.depth = 0;
    this.phase = 'done';
  }

  /** Drops scanned text no open part needs, so memory stays at about one element. */
  private compact(): void {
    let keep = this.text.length;
    for (const s of [this.keyStart, this.valueStart, this.elemStart]) if (s !== -1 && s < keep) keep = s;
    if (keep > 0) {
      this.text = this.text.slice(keep);
      if (this.keyStart !== -1) this.keyStart -= keep;
      if (this.valueStart !== -1) this.valueStart -= keep;
      if (this.elemStart !== -1) this.elemStart -= keep;
    }
    this.at = this.text.length;
  }
}
