import { GatewayError } from '../errors.js';
import { endingTheWalk } from '../routing/execute.js';

/**
 * The bytes of non-streamed answers the process holds at once (RESPONSE_BUFFER_MAX_BYTES). An answer is
 * read whole before it is sent, and a client that reads slowly keeps it in memory until the kernel has
 * taken it all; many such clients could hold gigabytes. Each request takes from the budget as its answer
 * arrives and gives everything back when its response closes (sent, or the connection gone).
 */
export class ResponseBufferBudget {
  used = 0;
  constructor(readonly max: number) {}

  lease(): BufferLease {
    return new BufferLease(this);
  }
}

/** One request's share of the budget. */
export class BufferLease {
  private held = 0;
  constructor(private readonly budget: ResponseBufferBudget) {}

  /** Takes n bytes; false (taking nothing) when the budget has no room for them. */
  readonly take = (n: number): boolean => {
    const b = this.budget;
    if (b.used + n > b.max) return false;
    b.used += n;
    this.held += n;
    return true;
  };

  release(): void {
    this.budget.used -= this.held;
    this.held = 0;
  }
}

/** The 503 for an answer that would pass the budget: no other target could be read either. */
export function responseBufferFull(provider: string, max: number): GatewayError {
  return endingTheWalk(new GatewayError({
    status: 503, type: 'api_error', code: 'response_buffer_full', provider, retryable: false,
    message: `The gateway is already holding ${max} bytes of answers that their clients have not read (RESPONSE_BUFFER_MAX_BYTES); retry shortly, or send "stream": true.`,
    headers: { 'Retry-After': '1' },
  }));
}
