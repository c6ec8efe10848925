import { createReadStream, existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';

/**
 * Serves the console's built single-page app: files from its dist folder with their content types,
 * and index.html for any other path (client-side routes). Nothing is fetched from a CDN.
 */
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.json': 'application/json; charset=utf-8', '.svg': 'image/svg+xml', '.png': 'image/png',
  '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.gif': 'image/gif', '.ico': 'image/x-icon', '.webp': 'image/webp',
  '.woff': 'font/woff', '.woff2': 'font/woff2', '.ttf': 'font/ttf', '.map': 'application/json; charset=utf-8', '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
};

export interface StaticSite {
  root: string | undefined;
  serve(pathname: string, req: IncomingMessage, res: ServerResponse): Promise<number>;
}

/** CONSOLE_DIR, else the installed @portico/console package's dist/, else none. */
export function findConsoleDir(configured: string | undefined): string | undefined {
  if (configured) return resolve(configured);
  try {
    const pkg = createRequire(import.meta.url).resolve('@portico/console/package.json');
    const dist = join(dirname(pkg), 'dist');
    return existsSync(join(dist, 'index.html')) ? dist : undefined;
  } catch {
    return undefined;
  }
}

const NOT_BUILT = `<!doctype html><html><head><meta charset="utf-8"><title>Portico control plane</title></head>
<body><h1>Portico control plane</h1><p>The console is not built. Build it with <code>npm run build -w @portico/console</code>,
or set <code>CONSOLE_DIR</code> to a folder holding its <code>index.html</code>. The Admin API is served under <code>/v1</code>.</p></body></html>`;

export function staticSite(root: string | undefined): StaticSite {
  const base = root ? resolve(root) : undefined;
  return {
    root: base,
    async serve(pathname, req, res) {
      const head = req.method === 'HEAD';
      if (!base || !existsSync(join(base, 'index.html'))) {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
        res.end(head ? undefined : NOT_BUILT);
        return 200;
      }
      let decoded: string;
      try {
        decoded = decodeURIComponent(pathname);
      } catch {
        decoded = '/';
      }
      const file = normalize(join(base, decoded));
      const inside = file === base || file.startsWith(base + sep);
      let target = join(base, 'index.html');
      if (inside && !decoded.includes('\0') && existsSync(file) && statSync(file).isFile()) target = file;
      const isIndex = target === join(base, 'index.html');
      res.writeHead(200, {
        'content-type': TYPES[extname(target).toLowerCase()] ?? 'application/octet-stream',
        'content-length': statSync(target).size,
        'x-content-type-options': 'nosniff',
        // Hashed assets can be cached; index.html must be revalidated so a new build is picked up.
        'cache-control': isIndex ? 'no-cache' : 'public, max-age=3600',
      });
      if (head) {
        res.end();
        return 200;
      }
      await new Promise<void>((done) => {
        const stream = createReadStream(target);
        stream.on('error', () => { res.destroy(); done(); });
        stream.on('end', () => done());
        stream.pipe(res);
      });
      return 200;
    },
  };
}
