#!/usr/bin/env bash
# The whole test suite, as CI runs it: services, static checks, the compiled binary, then every
# test under Bun (the end-to-end tests also drive the CLI under Deno and as the binary).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"

bash scripts/services.sh
echo "== static checks"
deno fmt --check
deno lint
tsc --noEmit -p .
deno check mod.ts
echo "== build"
bun scripts/build.ts
echo "== tests"
rm -f .test-capture.log
status=0
bun test --timeout 120000 "$@" 2>&1 | tee .test-output.log || status=$?
pass=$(grep -Eo '^ *[0-9]+ pass$' .test-output.log | grep -Eo '[0-9]+' | tail -1 || true)
fail=$(grep -Eo '^ *[0-9]+ fail$' .test-output.log | grep -Eo '[0-9]+' | tail -1 || true)
skip=$(grep -Eo '^ *[0-9]+ skip$' .test-output.log | grep -Eo '[0-9]+' | tail -1 || true)
bun scripts/scan-secrets.ts || status=1
echo "${pass:-0} passed, ${fail:-0} failed, ${skip:-0} skipped"
exit $status
