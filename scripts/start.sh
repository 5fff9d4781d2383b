#!/usr/bin/env bash
# The README's first command: build everything, then serve the demo on http://127.0.0.1:8080.
source "$(dirname "$0")/env.sh"
"$ROOT/scripts/build.sh"
exec node "$ROOT/scripts/serve.mjs" "${PORT:-8080}" "$ROOT/dist"
