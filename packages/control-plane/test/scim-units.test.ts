import { describe, expect, it } from 'vitest';
import { isGatewayError } from '@portico/contract';
import { parseFilter, type FilterColumns } from '../src/scim/filter.js';
import { applyPatch, type PatchTarget } from '../src/scim/patch.js';
import { groupPattern } from '../src/scim/reconcile.js';

/** The pure parts of SCIM: filters to SQL, PATCH operations on a resource, the reserved group-name pattern. */
const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const columns: FilterColumns = {
  username: { sql: 'user_name', type: 'string', caseExact: false },
  externalid: { sql: 'external_id', type: 'string', caseExact: true },
  active: { sql: 'active', type: 'boolean', caseExact: true },
  'meta.created': { sql: 'created_at', type: 'date', caseExact: true },
  members: { membership: (v) => ({ sql: 'EXISTS (m = ?)', params: [v] }), present: 'EXISTS (m)' },
};
const target: PatchTarget = {
  names: new Map(['userName', 'name', 'emails', 'active', 'members', 'displayName', 'externalId', 'id', 'meta', 'schemas', 'groups'].map((n) => [n.toLowerCase(), n])),
  coreSchema: USER, extensions: ['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'], immutable: ['id'], ignored: ['meta', 'schemas', 'groups'], multiValued: new Set(['emails', 'members']),
};
const scimTypeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return isGatewayError(e) ? e.code : 'not a GatewayError';
  }
  return 'no error';
};

describe('SCIM filters', () => {
  it('turns the forms IdPs send into parameterised SQL, case-insensitive where the attribute is', () => {
    expect(parseFilter('userName eq "A@B.c"', columns, USER)).toEqual({ sql: 'lower(user_name) = ?', params: ['a@b.c'] });
    expect(parseFilter(`${USER}:userName Eq "x"`, columns, USER).params).toEqual(['x']);
    expect(parseFilter('externalId eq "AbC"', columns, USER)).toEqual({ sql: 'external_id = ?', params: ['AbC'] });
    expect(parseFilter('members eq "u1"', columns, USER)).toEqual({ sql: 'EXISTS (m = ?)', params: ['u1'] });
    expect(parseFilter('active eq false and (userName sw "a%" or not (externalId pr))', columns, USER)).toEqual({
      sql: `active = ? AND ((lower(user_name) LIKE ? ESCAPE '\\') OR (NOT (((external_id IS NOT NULL AND external_id <> '')))))`, params: [0, 'a\\%%'],
    });
    expect(parseFilter('meta.created gt "2026-01-01T00:00:00Z"', columns, USER)).toEqual({ sql: 'created_at > ?', params: ['2026-01-01T00:00:00.000Z'] });
  });

  it('refuses what it cannot read as invalidFilter', () => {
    for (const f of ['', 'userName', 'userName eq 5', 'nope eq "x"', 'active eq "yes"', 'members co "x"', 'userName gt "a"', 'userName eq "a" userName eq "b"', '((((((((((userName eq "a"))))))))))', 'x'.repeat(1001), 'constructor pr', 'toString eq "x"', '__proto__ eq "x"']) {
      expect(scimTypeOf(() => parseFilter(f, columns, USER)), f).toBe('invalidFilter');
    }
  });
});

describe('SCIM PATCH', () => {
  const base = { schemas: [USER], id: 'u1', userName: 'a@b.c', name: { givenName: 'A', familyName: 'B' }, emails: [{ value: 'a@b.c', type: 'work', primary: true }], active: true, members: [{ value: 'x' }, { value: 'y' }] };
  const patch = (...ops: unknown[]) => applyPatch(base, { schemas: [PATCH], Operations: ops }, target);

  it('applies the operations Okta and Entra ID send, to a copy', () => {
    expect(patch({ op: 'replace', value: { active: false, name: { givenName: 'Z' } } })).toMatchObject({ active: false, name: { givenName: 'Z', familyName: 'B' } });
    expect(patch({ op: 'Remove', path: 'members', value: [{ value: 'x' }] }).members).toEqual([{ value: 'y' }]);
    expect(patch({ op: 'remove', path: 'members[value eq "y"]' }).members).toEqual([{ value: 'x' }]);
    expect(patch({ op: 'remove', path: 'members' }).members).toBeUndefined();
    expect(patch({ op: 'add', path: 'members', value: [{ value: 'x' }, { value: 'z' }] }).members).toEqual([{ value: 'x' }, { value: 'y' }, { value: 'z' }]);
    expect(patch({ op: 'add', path: 'emails[type eq "home"].value', value: 'h@b.c' }).emails).toEqual([base.emails[0], { type: 'home', value: 'h@b.c' }]);
    expect(patch({ op: 'replace', path: 'NAME.FAMILYNAME', value: 'C' }).name).toEqual({ givenName: 'A', familyName: 'C' });
    expect(patch({ op: 'add', path: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value', value: 'm1' })['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User']).toEqual({ manager: { value: 'm1' } });
    expect(patch({ op: 'replace', value: { id: 'u1', displayName: 'D' } }).displayName).toBe('D');
    expect(patch({ op: 'add', value: { 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department': 'R&D' } })['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User']).toEqual({ department: 'R&D' });
    expect(base.members).toHaveLength(2);
  });

  it('refuses changes to id, unknown attributes and malformed operations', () => {
    expect(scimTypeOf(() => patch({ op: 'replace', value: { id: 'other' } }))).toBe('mutability');
    expect(scimTypeOf(() => patch({ op: 'replace', path: 'groups', value: [] }))).toBe('mutability');
    expect(scimTypeOf(() => patch({ op: 'replace', path: 'colour', value: 'red' }))).toBe('invalidPath');
    expect(scimTypeOf(() => patch({ op: 'remove' }))).toBe('noTarget');
    expect(scimTypeOf(() => patch({ op: 'replace', path: 'active' }))).toBe('invalidSyntax');
    expect(scimTypeOf(() => patch({ op: 'replace', path: 'emails.value', value: 'x' }))).toBe('invalidPath');
    expect(scimTypeOf(() => patch({ op: 'replace', path: 'members[value co "x"]', value: 'x' }))).toBe('invalidPath');
    expect(scimTypeOf(() => patch({ op: 'add', path: 'active', value: true, extra: 1 }))).toBe('invalidSyntax');
    expect(scimTypeOf(() => applyPatch(base, { Operations: [] }, target))).toBe('invalidSyntax');
    expect(scimTypeOf(() => applyPatch(base, { schemas: [PATCH], Operations: Array.from({ length: 101 }, () => ({ op: 'add', path: 'active', value: true })) }, target))).toBe('tooMany');
  });
});

describe('pattern-based group names', () => {
  it('reads ws-<workspace>-role-<role>, any case, and nothing else', () => {
    expect(groupPattern('ws-Sales-role-admin')).toEqual({ workspace: 'Sales', role: 'admin' });
    expect(groupPattern('WS-north-east-ROLE-Manager')).toEqual({ workspace: 'north-east', role: 'manager' });
    expect(groupPattern('ws-Sales-role-owner')).toBeUndefined();
    expect(groupPattern('Engineering Team')).toBeUndefined();
  });
});
