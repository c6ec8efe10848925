/**
 * Regexes that arrive in configs ($regex conditions, default.regexMatch guardrails). Inline configs come
 * from any client, so they run on RE2 (re2js, a pure-JS port): matching time is linear in the text, with
 * no backtracking for a pattern such as ^((a)+)+$ to blow up on. Linear is not free: a match costs about
 * the program's size times the text's length, so both are bounded.
 */
import { RE2JS, RE2JSException } from 're2js';

/** Longest pattern accepted, in characters. */
export const MAX_RULE_LENGTH = 1024;
/** Largest compiled program accepted, in RE2 instructions (a{1000} is about 1000). */
export const MAX_PROGRAM_SIZE = 2000;
/**
 * Most work one match may take: program size × text length (about 3 ns each here, so some 60 ms at
 * most). A 20-instruction pattern reads a million characters; one of 2000, ten thousand.
 */
export const MAX_MATCH_WORK = 20_000_000;

/** A text too long for a pattern to read within MAX_MATCH_WORK. */
export class RegexInputTooLongError extends Error {
  readonly code = 'regex_input_too_long';
}

/** A compiled config regex: `test` is linear in the text and refuses a text past the work bound. */
export interface UserRegex {
  readonly source: string;
  /** The longest text `test` reads. */
  readonly maxInputChars: number;
  /** Whether the pattern matches anywhere in `text`; throws RegexInputTooLongError past maxInputChars. */
  test(text: string): boolean;
  /**
   * Every match replaced by what `replacer` returns for it (its text is taken literally: no $1
   * expansion), with the number of matches; the same bound as `test`.
   */
  replace(text: string, replacer: (match: string) => string): { text: string; count: number };
}

/** Compiles a config regex; throws an Error whose message completes "<where> ...". */
export function compileUserRegex(rule: string): UserRegex {
  if (rule.length > MAX_RULE_LENGTH) throw new Error(`is longer than ${MAX_RULE_LENGTH} characters`);
  let re: RE2JS;
  try {
    // Configs are written for JavaScript's RegExp (Portkey's): its escapes such as \u00e9 become RE2's.
    re = RE2JS.compile(RE2JS.translateRegExp(rule));
  } catch (e) {
    throw new Error(`is not a valid regular expression (${describe(e)})`);
  }
  const size = re.programSize();
  if (size > MAX_PROGRAM_SIZE) {
    throw new Error(`compiles to ${size} steps, over the limit of ${MAX_PROGRAM_SIZE}; use smaller repeat counts or fewer alternatives`);
  }
  const maxInputChars = Math.floor(MAX_MATCH_WORK / Math.max(1, size));
  return {
    source: rule,
    maxInputChars,
    test(text: string): boolean {
      if (text.length > maxInputChars) {
        throw new RegexInputTooLongError(`the text is ${text.length} characters; this pattern reads at most ${maxInputChars} (a simpler pattern reads more)`);
      }
      return re.test(text);
    },
    replace(text: string, replacer: (match: string) => string): { text: string; count: number } {
      if (text.length > maxInputChars) {
        throw new RegexInputTooLongError(`the text is ${text.length} characters; this pattern reads at most ${maxInputChars} (a simpler pattern reads more)`);
      }
      let count = 0;
      const out = re.matcher(text).replaceAll((match: string) => {
        count++;
        return replacer(match);
      });
      return { text: out, count };
    },
  };
}

/** RE2's syntax errors, reworded where RE2 differs from JavaScript on purpose. */
function describe(e: unknown): string {
  const message = (e as Error).message ?? String(e);
  if (!(e instanceof RE2JSException)) return message;
  if (/\(\?[=!<]|\\[1-9]/.test(message)) {
    return `${message}; lookaround and backreferences are not supported, as they need backtracking`;
  }
  return message;
}
