/**
 * Regexes that arrive in configs ($regex conditions, default.regexMatch guardrails). Inline configs
 * come from any client, and a regex that backtracks catastrophically on a long input would hold the
 * event loop for every tenant, so the classic shape of one is refused up front.
 */
const MAX_RULE_LENGTH = 1024;
// A group holding a quantifier that is itself quantified, such as (a+)+ or (\w+\s?)*.
const NESTED_QUANTIFIER = /\((?:[^()\\]|\\.)*?(?:[+*]|\{\d+,\d*\})(?:[^()\\]|\\.)*\)(?:[+*]|\{\d+,\d*\})/;

/** Compiles a config regex; throws an Error whose message completes "<where> ...". */
export function compileUserRegex(rule: string): RegExp {
  if (rule.length > MAX_RULE_LENGTH) throw new Error(`is longer than ${MAX_RULE_LENGTH} characters`);
  if (NESTED_QUANTIFIER.test(rule)) {
    throw new Error('nests quantifiers, as in (a+)+, which can backtrack catastrophically; rewrite it so that no group with a quantifier inside is itself repeated');
  }
  try {
    return new RegExp(rule);
  } catch (e) {
    throw new Error(`is not a valid regular expression (${(e as Error).message})`);
  }
}
