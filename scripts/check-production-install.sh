#!/usr/bin/env bash
# The documented production path, end to end: build where dev dependencies exist (done by the
# caller), copy the package with its dist/ into a fresh folder, install production dependencies
# only (no TypeScript, no tsx), then start the compiled server and run the compiled CLI there.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f dist/server.js ] || { echo "check-production-install: build first (npm run build)" >&2; exit 1; }

prod=$(mktemp -d)
data=$(mktemp -d)
server_pid=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  rm -rf "$prod" "$data"
}
trap cleanup EXIT

cp -r package.json package-lock.json bin dist scripts "$prod"/
(cd "$prod" && npm ci --omit=dev --no-audit --no-fund --loglevel=error)
[ ! -e "$prod/node_modules/typescript" ] && [ ! -e "$prod/node_modules/tsx" ] || { echo "dev dependencies were installed" >&2; exit 1; }

port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
export NODE_ENV=production PORT="$port" DATA_DIR="$data" DATABASE_URL="sqlite:$data/tessera.db" APP_URL=https://auth.example.com \
  JWT_REFRESH_SECRET="$(node -e 'console.log(require("crypto").randomBytes(48).toString("base64"))')" \
  KEY_ENCRYPTION_SECRET="$(node -e 'console.log(require("crypto").randomBytes(48).toString("base64"))')" \
  LOG_LEVEL=info

(cd "$prod" && exec node dist/server.js) > "$data/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
  grep -q 'tessera listening' "$data/server.log" 2>/dev/null && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$data/server.log"; echo "the production server exited" >&2; exit 1; }
  sleep 0.1
done
grep -q 'tessera listening' "$data/server.log" || { cat "$data/server.log"; echo "the production server did not start" >&2; exit 1; }
curl -fsS "http://127.0.0.1:$port/healthz" | grep -q '"ok"'
curl -fsS -X POST "http://127.0.0.1:$port/api/auth/signup" -H 'content-type: application/json' \
  -d '{"email":"prod-check@example.com","password":"correct horse battery staple"}' | grep -q prod-check

# The CLI in the same install runs the compiled code (tsx is not there to run sources).
(cd "$prod" && node bin/tessera.js keys list) | grep -q 'ES256'
(cd "$prod" && node bin/tessera.js --help) | grep -q 'serve'
echo "production install: server and CLI run from dist/ with production dependencies only"
