// s3rver as its own process, for tests that need it inside a network namespace:
//   node tests/helpers/s3rver-main.mjs ADDRESS PORT DIRECTORY BUCKET…
// Prints "s3rver listening on ADDRESS:PORT" once ready; stops on SIGTERM/SIGINT.
import S3rver from 's3rver';

const [address, port, directory, ...buckets] = process.argv.slice(2);
if (!address || !port || !directory || buckets.length === 0) {
  console.error('usage: s3rver-main.mjs ADDRESS PORT DIRECTORY BUCKET…');
  process.exit(2);
}
const server = new S3rver({ address, port: Number(port), silent: true, directory, configureBuckets: buckets.map((name) => ({ name, configs: [] })) });
const bound = await server.run();
console.log(`s3rver listening on ${bound.address}:${bound.port}`);
const stop = () => server.close().then(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
