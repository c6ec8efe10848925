import type { FramedEvent } from '../providers/types.js';

/**
 * Splits an upstream byte stream into framed events. push() may return zero or more events per
 * chunk; end() returns what is left and throws a GatewayError if the stream ended inside a frame.
 * Framers are incremental and bounded: a single frame larger than their limit is an error.
 */
export interface Framer {
  push(chunk: Uint8Array): FramedEvent[];
  end(): FramedEvent[];
}
