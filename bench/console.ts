/**
 * The console's bundle: builds packages/console and prints its JavaScript and CSS, gzipped, next to the
 * 500 kB target (requirement: "the console's JavaScript is ≤ 500 kB gzipped").
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const TARGET_KB = 500;

export async function runConsole(): Promise<void> {
  const pkg = join(import.meta.dirname, '..', 'packages', 'console');
  execFileSync('npx', ['vite', 'build', '--logLevel', 'warn'], { cwd: pkg, stdio: 'inherit' });
  const assets = join(pkg, 'dist', 'assets');
  let js = 0;
  let css = 0;
  for (const name of readdirSync(assets)) {
    const gz = gzipSync(readFileSync(join(assets, name)), { level: 9 }).length;
    if (name.endsWith('.js')) js += gz;
    else if (name.endsWith('.css')) css += gz;
  }
  const kb = (n: number) => (n / 1000).toFixed(1);
  console.log('\n## Console bundle (gzip -9)\n');
  console.log('| what | size | target | |');
  console.log('| --- | ---: | ---: | --- |');
  console.log(`| JavaScript | ${kb(js)} kB | ≤ ${TARGET_KB} kB | ${js <= TARGET_KB * 1000 ? 'met' : 'MISSED'} |`);
  console.log(`| CSS | ${kb(css)} kB | | |`);
}
