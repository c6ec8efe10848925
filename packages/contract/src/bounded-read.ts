/** A response body (undici's, a Node stream): chunks to iterate, and a way to stop it early. */
export interface ReadableBody {
  [Symbol.asyncIterator](): AsyncIterator<Uint8Array | string>;
  destroy?(): unknown;
}

/**
 * Reads a body whole, up to `max` bytes: every answer a part reads from something it does not control
 * is bounded. Past `max` the body is destroyed and `tooLarge()` is thrown, so no more of it is read.
 */
export async function readAtMost(body: ReadableBody, max: number, tooLarge: () => Error): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const part = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    size += part.length;
    if (size > max) {
      body.destroy?.();
      throw tooLarge();
    }
    parts.push(part);
  }
  return Buffer.concat(parts);
}
