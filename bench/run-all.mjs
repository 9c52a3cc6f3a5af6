// `npm run bench`: runs every `bench:*` script of package.json in sequence (each prints its own table).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const { scripts } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const benches = Object.keys(scripts)
  .filter((name) => name.startsWith('bench:'))
  .sort();
const failed = [];
for (const name of benches) {
  process.stdout.write(`\n=== npm run ${name} ===\n`);
  const started = Date.now();
  const { status } = spawnSync('npm', ['run', '--silent', name], { stdio: 'inherit' });
  process.stdout.write(`=== ${name}: ${status === 0 ? 'done' : `exit ${status}`} in ${((Date.now() - started) / 1000).toFixed(1)} s ===\n`);
  if (status !== 0) failed.push(name);
}
if (failed.length > 0) {
  process.stderr.write(`bench: failed: ${failed.join(', ')}\n`);
  process.exit(1);
}
