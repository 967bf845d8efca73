// `npm start`: build the static site and serve it on localhost (the built site is what
// installs as a PWA and works offline).
import { spawn, spawnSync } from 'node:child_process';

const port = process.env.PORT ?? '4173';
console.log('Building Tidemark…');
const build = spawnSync('npx', ['vite', 'build', '--logLevel', 'warn'], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);
console.log(
  `\nTidemark is served at http://127.0.0.1:${port}/ — open it in Chromium, Chrome or Edge.`
);
console.log('Press Ctrl+C to stop.\n');
const server = spawn(
  'npx',
  ['vite', 'preview', '--port', port, '--strictPort', '--host', '127.0.0.1'],
  { stdio: 'inherit' }
);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.kill(signal));
server.on('exit', (code) => process.exit(code ?? 0));
