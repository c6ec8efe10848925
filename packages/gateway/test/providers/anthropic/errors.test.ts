/** Anthropic error bodies → GatewayError, keeping status, message, type and Retry-After. */
import { describe, expect, it } from 'vitest';
import { anthropicProvider } from '../../../src/providers/anthropic/index.js';
import { assertAnthropic } from '../../helpers/anthropic-schema.js';

const body = (type: string, message: string) => ({ type: 'error', error: { type, message }, request_id: 'req_011CSHoEeqs5C35K2UUqR7Fy' });

describe('anthropic mapError', () => {
  it.each([
    [400, 'invalid_request_error', 'messages.0.content: Field required'],
    [401, 'authentication_error', 'invalid x-api-key'],
    [403, 'permission_error', 'Your API key does not have permission to use the specified resource.'],
    [404, 'not_found_error', 'model: claude-nope'],
    [402, 'billing_error', 'Your credit balance is too low.'],
    [504, 'timeout_error', 'Request timed out.'],
    [429, 'rate_limit_error', 'Number of request tokens has exceeded your per-minute rate limit'],
    [500, 'api_error', 'An unexpected error has occurred internal to Anthropic’s systems.'],
    [529, 'overloaded_error', 'Overloaded'],
  ])('%i %s keeps status, message and type', (status, type, message) => {
    const b = body(type, message);
    assertAnthropic('ErrorResponse', b);
    const e = anthropicProvider.mapError(status, JSON.stringify(b), { 'Retry-After': '12', 'x-api-key': 'never' });
    expect(e.status).toBe(status);
    expect(e.message).toBe(`anthropic error: ${message}`);
    expect(e.type).toBe(type);
    expect(e.code).toBe(type);
    expect(e.provider).toBe('anthropic');
    expect(e.headers).toEqual({ 'retry-after': '12' });
  });

  it('keeps request_too_large (413), which the API documents though the SDK schema lacks it', () => {
    const e = anthropicProvider.mapError(413, JSON.stringify(body('request_too_large', 'Request exceeds the maximum allowed number of bytes.')), {});
    expect([e.status, e.type]).toEqual([413, 'request_too_large']);
  });

  it('copes with a non-JSON body and an empty one', () => {
    const html = anthropicProvider.mapError(502, '<html>Bad gateway</html>', {});
    expect(html.status).toBe(502);
    expect(html.message).toContain('<html>Bad gateway</html>');
    const empty = anthropicProvider.mapError(503, '', {});
    expect(empty.message).toContain('HTTP 503');
  });
});
