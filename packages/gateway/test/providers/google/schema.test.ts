import { describe, expect, it } from 'vitest';
import { toGeminiSchema } from '../../../src/providers/google/index.js';
import { GatewayError } from '../../../src/errors.js';
import { validateGemini } from './gemini-spec.js';

/** Sanitises and checks the result against Gemini's Schema message (unknown keywords rejected). */
function sanitise(schema: unknown) {
  const out = toGeminiSchema(schema, 'tools[0].function.parameters');
  expect(validateGemini('Schema', out, 'request')).toEqual([]);
  return out;
}

function rejects(schema: unknown, msg: RegExp) {
  try {
    toGeminiSchema(schema, 'tools[0].function.parameters');
  } catch (e) {
    expect(e).toBeInstanceOf(GatewayError);
    expect((e as GatewayError).status).toBe(400);
    expect((e as GatewayError).param).toBe('tools[0].function.parameters');
    expect((e as GatewayError).message).toMatch(msg);
    return;
  }
  throw new Error('expected a 400');
}

describe('toGeminiSchema', () => {
  it('drops keywords Gemini rejects and upper-cases types', () => {
    const out = sanitise({
      $schema: 'http://json-schema.org/draft-07/schema#', $id: 'x', type: 'object', additionalProperties: false, $comment: 'c',
      properties: { city: { type: 'string', description: 'City', minLength: 1, maxLength: 80, pattern: '^[A-Z]' }, n: { type: 'integer', minimum: 0, multipleOf: 2, exclusiveMaximum: 10 } },
      required: ['city', 'ghost'],
    });
    expect(out).toEqual({
      type: 'OBJECT',
      properties: { city: { type: 'STRING', description: 'City', minLength: 1, maxLength: 80, pattern: '^[A-Z]' }, n: { type: 'INTEGER', minimum: 0, maximum: 10 } },
      required: ['city'],
    });
  });

  it('const → enum, string enums stay, numeric enums become guidance', () => {
    expect(sanitise({ const: 'celsius' })).toEqual({ type: 'STRING', enum: ['celsius'] });
    expect(sanitise({ type: 'string', enum: ['a', 'b', null] })).toEqual({ type: 'STRING', enum: ['a', 'b'], nullable: true });
    expect(sanitise({ type: 'integer', enum: [1, 2, 3], description: 'Level.' })).toEqual({ type: 'INTEGER', description: 'Level. Allowed values: 1, 2, 3.' });
  });

  it('type arrays with null → nullable; several types → anyOf', () => {
    expect(sanitise({ type: ['string', 'null'], description: 'd' })).toEqual({ type: 'STRING', description: 'd', nullable: true });
    expect(sanitise({ type: ['string', 'number'] })).toEqual({ anyOf: [{ type: 'STRING' }, { type: 'NUMBER' }] });
  });

  it('anyOf/oneOf: null branches become nullable, single branches flatten', () => {
    expect(sanitise({ anyOf: [{ type: 'string' }, { type: 'null' }], description: 'maybe' })).toEqual({ type: 'STRING', description: 'maybe', nullable: true });
    expect(sanitise({ oneOf: [{ type: 'string' }, { type: 'integer' }] })).toEqual({ anyOf: [{ type: 'STRING' }, { type: 'INTEGER' }] });
  });

  it('formats: keeps the ones Gemini honours, drops the rest', () => {
    expect(sanitise({ type: 'string', format: 'date-time' })).toEqual({ type: 'STRING', format: 'date-time' });
    expect(sanitise({ type: 'string', format: 'email' })).toEqual({ type: 'STRING' });
    expect(sanitise({ type: 'integer', format: 'int64' })).toEqual({ type: 'INTEGER', format: 'int64' });
    expect(sanitise({ type: 'number', format: 'int32' })).toEqual({ type: 'NUMBER' });
  });

  it('inlines local $ref / $defs / definitions, with sibling overrides', () => {
    const out = sanitise({
      type: 'object',
      $defs: { Addr: { type: 'object', properties: { zip: { type: 'string' } }, required: ['zip'] } },
      definitions: { Unit: { type: 'string', enum: ['c', 'f'] } },
      properties: { home: { $ref: '#/$defs/Addr', description: 'Home' }, unit: { $ref: '#/definitions/Unit' }, list: { type: 'array', items: { $ref: '#/$defs/Addr' } } },
    });
    expect(out.properties).toEqual({
      home: { type: 'OBJECT', description: 'Home', properties: { zip: { type: 'STRING' } }, required: ['zip'] },
      unit: { type: 'STRING', enum: ['c', 'f'] },
      list: { type: 'ARRAY', items: { type: 'OBJECT', properties: { zip: { type: 'STRING' } }, required: ['zip'] } },
    });
  });

  it('merges allOf of object parts', () => {
    expect(sanitise({ allOf: [{ type: 'object', properties: { a: { type: 'string' } }, required: ['a'] }, { properties: { b: { type: 'boolean' } } }] }))
      .toEqual({ type: 'OBJECT', properties: { a: { type: 'STRING' }, b: { type: 'BOOLEAN' } }, required: ['a'] });
  });

  it('examples → example, default kept, tuples use the first item', () => {
    expect(sanitise({ type: 'string', examples: ['x', 'y'], default: 'x' })).toEqual({ type: 'STRING', example: 'x', default: 'x' });
    expect(sanitise({ type: 'array', prefixItems: [{ type: 'number' }, { type: 'number' }] })).toEqual({ type: 'ARRAY', items: { type: 'NUMBER' } });
  });

  it('rejects what Gemini cannot express, naming the place and the fix', () => {
    rejects({ type: 'object', properties: { n: { $ref: '#' } } }, /recursive/);
    rejects({ $defs: { N: { type: 'object', properties: { next: { $ref: '#/$defs/N' } } } }, $ref: '#/$defs/N' }, /recursive.*fixed depth/);
    rejects({ type: 'object', properties: { x: { $ref: 'https://example.com/s.json' } } }, /outside the schema/);
    rejects({ type: 'object', properties: { x: { $ref: '#/$defs/Missing' } } }, /does not resolve/);
    rejects({ type: 'object', properties: { x: { $ref: '#/%E0%A4%A' } } }, /does not resolve/);
    rejects({ type: 'object', properties: { x: {} } }, /properties\.x accepts any value/);
    rejects({ allOf: [{ type: 'string' }, { type: 'object' }] }, /different types/);
    rejects('string', /must be a JSON Schema object/);
    rejects({ type: 'str' }, /not a JSON Schema type/);
  });

  it('a schema nested too deep is refused rather than walked forever', () => {
    let s: Record<string, unknown> = { type: 'string' };
    for (let i = 0; i < 60; i++) s = { type: 'array', items: s };
    rejects(s, /deeper than/);
  });
});
