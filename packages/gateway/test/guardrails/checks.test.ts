import { describe, expect, it } from 'vitest';
import { compileCheck, type CheckOutcome } from '../../src/guardrails/checks.js';
import { compileGuardrails, verdictOf } from '../../src/guardrails/hooks.js';
import { runStage } from '../../src/guardrails/run.js';
import { guardrailsOf, parseRoutingConfig } from '../../src/routing/config-schema.js';

/** The text checks are synchronous; only default.webhook answers with a promise. */
const run = (id: string, parameters: unknown, text: string, model?: string) => compileCheck(id, parameters)({ text, model }) as CheckOutcome;

describe('built-in guardrail checks (Portkey plugin ids and parameters)', () => {
  it('regexMatch, with not', () => {
    expect(run('default.regexMatch', { rule: '\\d{3}-\\d{2}-\\d{4}' }, 'ssn 123-45-6789').verdict).toBe(true);
    expect(run('default.regexMatch', { rule: '\\d{3}-\\d{2}-\\d{4}', not: true }, 'ssn 123-45-6789').verdict).toBe(false);
    expect(run('default.regexMatch', { rule: '\\d{3}-\\d{2}-\\d{4}', not: true }, 'no numbers').verdict).toBe(true);
  });

  it('contains with any, all and none, case-insensitively', () => {
    const words = ['apple', 'Banana'];
    expect(run('default.contains', { words, operator: 'any' }, 'an APPLE a day').verdict).toBe(true);
    expect(run('default.contains', { words, operator: 'all' }, 'an apple a day').verdict).toBe(false);
    expect(run('default.contains', { words, operator: 'all' }, 'apple and banana')).toEqual({ verdict: true, data: { operator: 'all', found: ['apple', 'Banana'] } });
    expect(run('default.contains', { words, operator: 'none' }, 'cherries').verdict).toBe(true);
    expect(run('default.contains', { words }, 'cherries').verdict).toBe(false); // operator defaults to any
  });

  it('counts words, sentences and characters within bounds', () => {
    expect(run('default.wordCount', { minWords: 2, maxWords: 3 }, 'one two three').verdict).toBe(true);
    expect(run('default.wordCount', { minWords: 2, maxWords: 3 }, 'one two three four').data.count).toBe(4);
    expect(run('default.sentenceCount', { minSentences: 2 }, 'One. Two! Three?').verdict).toBe(true);
    expect(run('default.sentenceCount', { maxSentences: 1 }, 'One. Two.').verdict).toBe(false);
    expect(run('default.characterCount', { maxCharacters: 5 }, 'héllo').verdict).toBe(true);
    expect(run('default.characterCount', { maxCharacters: 5, not: true }, 'héllo').verdict).toBe(false);
  });

  it('endsWith, case checks, JSON keys, code fences and model allow-lists', () => {
    expect(run('default.endsWith', { suffix: 'Thanks.' }, 'Done. Thanks.  ').verdict).toBe(true);
    expect(run('default.alllowercase', {}, 'quiet words').verdict).toBe(true);
    expect(run('default.alluppercase', {}, 'LOUD words').verdict).toBe(false);
    expect(run('default.jsonKeys', { keys: ['name', 'age'], operator: 'all' }, 'Here:\n```json\n{"name":"a","age":3}\n```').verdict).toBe(true);
    expect(run('default.jsonKeys', { keys: ['name'], operator: 'any' }, 'no json here').verdict).toBe(false);
    expect(run('default.containsCode', { format: 'SQL' }, 'Run:\n```sql\nSELECT 1;\n```').verdict).toBe(true);
    expect(run('default.containsCode', { format: 'Python' }, 'Run:\n```sql\nSELECT 1;\n```').verdict).toBe(false);
    expect(run('default.containsCode', { format: 'C++' }, '```cpp\nint main() {}\n```').verdict).toBe(true);
    expect(run('default.containsCode', { format: 'Python' }, '```python\nprint(1)\n```').verdict).toBe(true);
    expect(() => compileCheck('default.containsCode', { format: 'Cobol' })).toThrow(/^must be one of SQL, Python/);
    expect(run('default.modelWhitelist', { models: ['gpt-4o-mini'] }, '', 'gpt-4o-mini').verdict).toBe(true);
    expect(run('default.modelWhitelist', { models: ['gpt-4o-mini'] }, '', 'gpt-4.1').verdict).toBe(false);
  });

  it('validates JSON in the text against a JSON Schema, in saved configs only', () => {
    const schema = { type: 'object', required: ['name', 'age'], properties: { name: { type: 'string' }, age: { type: 'integer', minimum: 0 } } };
    const check = compileCheck('default.jsonSchema', { schema }, true) as (i: { text: string }) => CheckOutcome;
    expect(check({ text: 'Here you go:\n```json\n{"name":"Ada","age":36}\n```' }).verdict).toBe(true);
    expect(check({ text: '{"name":"Ada","age":-1}' })).toEqual({ verdict: false, data: { errors: ['/age must be >= 0'] } });
    expect(check({ text: 'no json at all' }).verdict).toBe(false);
    expect(() => compileCheck('default.jsonSchema', { schema })).toThrow(/runs only in saved configs \(the entities file\)/);
    expect(() => compileCheck('default.jsonSchema', { schema: { type: 'no-such-type' } }, true)).toThrow(/not a valid JSON Schema/);
    expect(() => compileCheck('default.jsonSchema', {}, true)).toThrow(/a JSON Schema object/);
  });

  it('refuses what it cannot run, saying what to fix', () => {
    // compileCheck's error names the parameter in `where`; the config path joins them (see below).
    expect(() => compileCheck('default.validUrls', { onlyDns: true })).toThrow(expect.objectContaining({ where: 'onlyDns', message: 'is not a parameter of this check; it takes onlyDNS' }));
    expect(() => compileCheck('default.regexMatch', { rule: 'x', regex: 'y' })).toThrow(expect.objectContaining({ where: 'regex', message: 'is not a parameter of this check; it takes rule, not' }));
    expect(() => compileCheck('default.webhook', {})).toThrow(/is required: a non-empty string/);
    expect(() => compileCheck('default.webhook', { webhookURL: 'ftp://x/y' })).toThrow(/http or https/);
    expect(() => compileCheck('default.webhook', { webhookURL: 'https://u:p@x/y' })).toThrow(/credentials/);
    expect(() => compileCheck('default.webhook', { webhookURL: 'https://x/y', headers: { a: 1 } })).toThrow(/object of strings/);
    expect(() => compileCheck('acme.magic', {})).toThrow(/unknown check "acme.magic"; the built-in checks are default\.regexMatch/);
    expect(() => compileCheck('default.regexMatch', { rule: '(' })).toThrow(/not a valid regular expression/);
    expect(() => compileCheck('default.regexMatch', { rule: '(a)\\1' })).toThrow(/backreferences are not supported/);
    expect(() => compileCheck('default.contains', { words: [] })).toThrow(/non-empty array/);
    expect(() => compileCheck('default.wordCount', { minWords: 5, maxWords: 2 })).toThrow(/must not exceed maxWords/);
    expect(() => compileCheck('default.contains', { words: ['x'], operator: 'some' })).toThrow(/"any", "all" or "none"/);
  });
});

describe('guardrails in a routing config', () => {
  it('compiles both forms, names unnamed hooks by their place, and tells deny from flag', async () => {
    const g = compileGuardrails({
      before_request_hooks: [{ id: 'no-ssn', deny: true, checks: [{ id: 'default.regexMatch', parameters: { rule: '\\d{3}-\\d{2}-\\d{4}', not: true } }] }],
      output_guardrails: [{ 'default.wordCount': { maxWords: 3 } }],
    })!;
    expect(g.before.map((h) => h.id)).toEqual(['no-ssn']);
    expect(g.after.map((h) => [h.id, h.deny])).toEqual([['output_guardrails[0]', false]]);
    const ask = (content: string) => ({ messages: [{ role: 'user', content }] });
    const answer = (content: string) => ({ choices: [{ index: 0, message: { role: 'assistant', content } }] });
    expect(verdictOf((await runStage(g.before, {}, 'request', ask('call 123-45-6789'))).results)).toBe('deny');
    expect(verdictOf((await runStage(g.before, {}, 'request', ask('hello'))).results)).toBe('pass');
    expect(verdictOf((await runStage(g.after, {}, 'response', answer('one two three four'))).results)).toBe('flag');
  });

  it('rejects bad guardrails with a 400 naming the path, once, when the config is parsed', () => {
    const bad = (config: object) => () => parseRoutingConfig(JSON.stringify(config));
    expect(bad({ before_request_hooks: [{ checks: [{ id: 'default.regexMatch', parameters: { rule: '(' } }] }] }))
      .toThrow(/config\.before_request_hooks\[0\]\.checks\[0\]\.parameters\.rule: is not a valid regular expression/);
    expect(bad({ input_guardrails: ['pg-abc123'] })).toThrow(/config\.input_guardrails\[0\]: "pg-abc123" names a saved guardrail, which needs the control plane/);
    expect(bad({ before_request_hooks: [{ type: 'mutator', deny: true, checks: [{ id: 'default.regexReplace', parameters: { rule: 'x' } }] }] }))
      .toThrow(/config\.before_request_hooks\[0\]\.deny: a mutator rewrites and never denies/);
    expect(bad({ before_request_hooks: [{ type: 'transformer', checks: [{ id: 'default.contains' }] }] })).toThrow(/\.type: must be "guardrail" or "mutator"/);
    // A target's guardrails are checked where they are written.
    expect(bad({ strategy: { mode: 'fallback' }, targets: [{ provider: 'openai', output_guardrails: [{ 'default.contains': { words: ['x'], operatr: 'none' } }] }] }))
      .toThrow(/config\.targets\[0\]\.output_guardrails\[0\]\["default\.contains"\]\.parameters\.operatr: is not a parameter of this check/);
    const ok = parseRoutingConfig(JSON.stringify({ provider: 'openai', input_guardrails: [{ 'default.contains': { words: ['x'], operator: 'none' }, deny: true }] }));
    expect(guardrailsOf(ok)?.before[0].deny).toBe(true);
    expect(guardrailsOf(parseRoutingConfig('{"provider":"openai"}'))).toBeUndefined();
    // The same text is refused inline and accepted as a saved config.
    const withSchema = JSON.stringify({ output_guardrails: [{ 'default.jsonSchema': { schema: { type: 'object' } }, deny: true }] });
    expect(() => parseRoutingConfig(withSchema)).toThrow(/config\.output_guardrails\[0\]\["default\.jsonSchema"\]: default\.jsonSchema compiles its schema to code/);
    expect(guardrailsOf(parseRoutingConfig(withSchema, 'config saved-1', true))?.after[0].checks[0].id).toBe('default.jsonSchema');
  });
});
