/** s3rver in its own process for the logs suite: node --import tsx bench/s3-server.ts <dir> [port]. */
import S3rver from 's3rver';

const [dir, port] = process.argv.slice(2);
const server = new S3rver({ address: '127.0.0.1', port: Number(port ?? 0), silent: true, directory: dir, configureBuckets: [{ name: 'bench-logs', configs: [] }] });
const { port: bound } = await server.run();
process.stdout.write(JSON.stringify({ port: bound }) + '\n');
