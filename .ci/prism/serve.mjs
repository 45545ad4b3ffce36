// Serves one OpenAPI document with Stoplight Prism (`prism mock`, static examples) on
// 127.0.0.1, for naftiko's tutorial tests.
//
//   node .ci/prism/serve.mjs OPENAPI_FILE     (PORT=0 picks a free port)
//
// stdout carries exactly one line, `listening http://127.0.0.1:<port>`, once Prism answers;
// Prism's own output goes to stderr. The server (and Prism with it) exits when its stdin
// closes, so a test binary that starts one for all its tests never leaves it behind.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const file = process.argv[2];
if (!file) {
  console.error('usage: node serve.mjs OPENAPI_FILE');
  process.exit(2);
}

/** A free loopback port (bound, then released). */
function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const port = Number(process.env.PORT ?? 0) || (await freePort());
const prism = spawn(join(here, 'node_modules/.bin/prism'),
  ['mock', '--host', '127.0.0.1', '--port', String(port), '--errors', 'false', file],
  { stdio: ['ignore', 'pipe', 'pipe'] });
prism.stdout.pipe(process.stderr);
prism.stderr.pipe(process.stderr);
prism.on('exit', (code) => process.exit(code ?? 1));

const stop = () => { prism.kill('SIGTERM'); setTimeout(() => process.exit(0), 500).unref(); };
process.stdin.on('end', stop);
process.stdin.on('close', stop);
process.stdin.resume();
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, stop);

// Ready when Prism accepts connections and answers HTTP.
const url = `http://127.0.0.1:${port}`;
for (let i = 0; i < 600; i++) {
  try {
    await fetch(url, { signal: AbortSignal.timeout(1000) });
    process.stdout.write(`listening ${url}\n`);
    break;
  } catch {
    await new Promise((r) => setTimeout(r, 100));
  }
}
