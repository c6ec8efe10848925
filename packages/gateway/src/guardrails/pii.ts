/**
 * Personal data that default.redact_pii finds and replaces. Each category is a pattern (run on RE2,
 * linear in the text like every config regex) plus a check in code where a pattern alone would
 * match too much: the Luhn checksum for cards, octet ranges for IPv4, a parse for IPv6, the SSA's
 * never-issued area numbers for SSNs. docs/gateway.md lists the same patterns.
 */
import { isIPv6 } from 'node:net';
import { compileUserRegex, type UserRegex } from '../routing/user-regex.js';

export const PII_CATEGORIES = ['credit_card', 'ssn', 'ip_address', 'phone', 'email'] as const;
export type PiiCategory = (typeof PII_CATEGORIES)[number];

interface Detector {
  placeholder: string;
  pattern: string;
  /** False for a match the pattern allows but that is not one (a bad checksum, an octet over 255). */
  valid?: (match: string) => boolean;
}

/** Applied in this order: a card number is taken before its digits could look like a phone number. */
const DETECTORS: Record<PiiCategory, Detector> = {
  // 13 to 19 digits, optionally grouped by spaces or dashes, passing the Luhn checksum.
  credit_card: { placeholder: '[CREDIT_CARD]', pattern: String.raw`\b(?:\d[ -]?){12,18}\d\b`, valid: (m) => luhn(m.replace(/\D/g, '')) },
  // US SSN ddd-dd-dddd; area 000, 666 and 900-999, group 00 and serial 0000 are never issued.
  ssn: { placeholder: '[SSN]', pattern: String.raw`\b\d{3}-\d{2}-\d{4}\b`, valid: validSsn },
  // IPv4 dotted quads (each octet 0-255), and IPv6 in full or compressed form.
  ip_address: {
    placeholder: '[IP_ADDRESS]',
    pattern: String.raw`\b(?:\d{1,3}\.){3}\d{1,3}\b|(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}`,
    valid: (m) => (m.includes(':') ? isIPv6(m) && m.replace(/[^:]/g, '').length >= 2 && /[0-9A-Fa-f]/.test(m) : m.split('.').every((o) => Number(o) <= 255)),
  },
  // North American numbers: optional +country code, (ddd) or ddd, then ddd and dddd, separated by space, dot or dash.
  phone: { placeholder: '[PHONE_NUMBER]', pattern: String.raw`(?:\+\d{1,3}[ .-]?)?(?:\(\d{3}\)[ .-]?|\b\d{3}[ .-]?)\d{3}[ .-]?\d{4}\b` },
  email: { placeholder: '[EMAIL_ADDRESS]', pattern: String.raw`[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}` },
};

const compiled = new Map<PiiCategory, UserRegex>();
function regexOf(category: PiiCategory): UserRegex {
  let re = compiled.get(category);
  if (!re) {
    re = compileUserRegex(DETECTORS[category].pattern);
    compiled.set(category, re);
  }
  return re;
}

export function luhn(digits: string): boolean {
  if (digits.length < 13 || digits.length > 19) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

function validSsn(m: string): boolean {
  const [area, group, serial] = m.split('-');
  return area !== '000' && area !== '666' && area[0] !== '9' && group !== '00' && serial !== '0000';
}

export interface PiiScan {
  /** The text with every finding replaced by its category's placeholder. */
  text: string;
  /** How many of each category were found (categories with none are left out). */
  found: Partial<Record<PiiCategory, number>>;
}

/** Finds (and replaces) the categories' personal data in one text. */
export function scanPii(text: string, categories: readonly PiiCategory[]): PiiScan {
  const found: Partial<Record<PiiCategory, number>> = {};
  let out = text;
  for (const category of PII_CATEGORIES) {
    if (!categories.includes(category)) continue;
    const { placeholder, valid } = DETECTORS[category];
    let n = 0;
    out = regexOf(category).replace(out, (match) => {
      if (valid && !valid(match)) return match;
      n++;
      return placeholder;
    }).text;
    if (n) found[category] = n;
  }
  return { text: out, found };
}
