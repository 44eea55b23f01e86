// `npm install` (the `prepare` script) leaves a runnable build: it compiles src/ into dist/
// where TypeScript is installed. A production install (`npm ci --omit=dev`) has no TypeScript:
// it keeps the dist/ that was built and copied in, and says so when there is none.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

let tsc;
try {
  tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
} catch {
  if (existsSync('dist/server.js')) {
    console.log('tessera: TypeScript is not installed (production install): using the existing dist/');
  } else {
    console.error(
      'tessera: no dist/ and no TypeScript to build it: build where dev dependencies are installed (npm ci && npm run build), then copy dist/ here',
    );
    // Fail the install: a server that cannot start must not look installed.
    process.exit(1);
  }
  process.exit(0);
}
const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
process.exit(result.status ?? 1);
