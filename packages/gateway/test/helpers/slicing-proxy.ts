import { connect, createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface SlicingProxy {
  port: number;
  close(): Promise<void>;
}

/**
 * A TCP proxy that passes requests through unchanged and hands responses back 1 to `maxSlice` bytes
 * at a time, one slice per event-loop turn. A real network splits streams anywhere (inside an SSE
 * line, a UTF-8 character, a binary event-stream frame); local fakes write whole events, so without
 * this, code that only works on whole events would pass its tests.
 */
export async function startSlicingProxy(targetPort: number, maxSlice = 7): Promise<SlicingProxy> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    client.setNoDelay(true);
    const upstream = connect(targetPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    client.pipe(upstream);
    const queue: Buffer[] = [];
    let flushing = false;
    let upstreamEnded = false;
    let n = 0;
    const flush = () => {
      if (client.destroyed) return;
      const head = queue[0];
      if (!head) {
        flushing = false;
        if (upstreamEnded) client.end();
        return;
      }
      const size = 1 + ((n++ * 5) % maxSlice);
      client.write(head.subarray(0, size));
      if (head.length > size) queue[0] = head.subarray(size);
      else queue.shift();
      setImmediate(flush);
    };
    upstream.on('data', (d: Buffer) => {
      queue.push(d);
      if (!flushing) {
        flushing = true;
        setImmediate(flush);
      }
    });
    upstream.on('end', () => {
      upstreamEnded = true;
      if (!flushing) client.end();
    });
    const kill = () => {
      client.destroy();
      upstream.destroy();
    };
    upstream.on('error', kill);
    client.on('error', kill);
    client.on('close', () => upstream.destroy());
    client.on('close', () => sockets.delete(client));
    upstream.on('close', () => sockets.delete(upstream));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((r) => server.close(() => r()));
    },
  };
}
