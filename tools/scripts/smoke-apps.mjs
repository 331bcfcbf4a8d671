// Starts each built app (dist/apps/<app>/main.js) the way `nx serve` does, checks /health answers, then
// starts it with a bad PORT and LOG_LEVEL and checks it refuses to boot, naming both keys.
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const root = join(import.meta.dirname, '../..');
const apps = ['feed-api', 'event-ingestor', 'ranking-service', 'admin'];
const basePort = 39_100;

function start(app, env) {
  const child = spawn(process.execPath, [join(root, 'dist/apps', app, 'main.js')], {
    env: { ...process.env, LOG_FORMAT: 'json', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

async function waitForHealth(port, exited) {
  const deadline = Date.now() + 30_000;
  let early;
  exited.then((code) => (early = code));
  while (Date.now() < deadline) {
    if (early !== undefined) throw new Error(`exited with code ${early} before answering /health`);
    try {
      const response = await fetch(`http://127.0.0.1:${port}/health`);
      if (response.ok) return response.json();
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('no /health answer within 30 s');
}

let failures = 0;
for (const [index, app] of apps.entries()) {
  const port = basePort + index;
  const run = start(app, { PORT: String(port) });
  try {
    const health = await waitForHealth(port, run.exited);
    if (health.status !== 'ok' || health.service !== app)
      throw new Error(`unexpected health ${JSON.stringify(health)}`);
    console.log(`ok   ${app}: /health ${JSON.stringify(health)}`);
  } catch (error) {
    failures++;
    console.error(`FAIL ${app}: ${error.message}\n${run.output()}`);
  } finally {
    run.child.kill('SIGTERM');
    await run.exited;
  }

  const bad = start(app, { PORT: 'not-a-port', LOG_LEVEL: 'loud' });
  const code = await bad.exited;
  const text = bad.output();
  if (code === 78 && text.includes('PORT:') && text.includes('LOG_LEVEL:')) {
    console.log(`ok   ${app}: bad config refused (exit 78, names PORT and LOG_LEVEL)`);
  } else {
    failures++;
    console.error(`FAIL ${app}: bad config gave exit ${code}:\n${text}`);
  }
}
if (failures > 0) {
  console.error(`${failures} smoke check(s) failed`);
  process.exit(1);
}
