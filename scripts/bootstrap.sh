#!/usr/bin/env bash
# One entry point for a fresh clone on Debian/Ubuntu: installs what is missing, then runs a job.
#
#   bash scripts/bootstrap.sh demo    set up, then open the inspector on the local demo server
#   bash scripts/bootstrap.sh test    set up, then run every check (lint, layers, types, tests)
#   bash scripts/bootstrap.sh setup   set up only
#
# What "set up" installs, each step skipped when already done:
#   - Debian packages (only when running as root with apt-get): Python venv support, Node.js and
#     npm when missing, the libraries headless Qt needs, a font, Xvfb for the demo without a
#     display, the packaging tools the smoke tests use, and curl (the copied curl commands are
#     run for real).
#   - .venv with the project and its dev tools, pinned with hashes by requirements/constraints.txt.
#   - tests/interop/js/node_modules from package-lock.json (realtime-js, supabase-js, ws).
#   - .venv-realtime-py: realtime-py in its own venv (it pins websockets<16), from
#     tests/interop/py/requirements.txt.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
JOB="${1:-demo}"
shift || true

log() { printf '\033[1;34m[bootstrap]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[bootstrap] %s\033[0m\n' "$*" >&2; exit 1; }

# ------------------------------------------------------------------------------ Debian packages
DEB_QT="libgl1 libegl1 libfontconfig1 fonts-dejavu-core libxkbcommon0 libglib2.0-0 libdbus-1-3"
DEB_X="xvfb xauth libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 \
libxcb-image0 libxcb-render-util0 libxcb-randr0 libxcb-xinerama0 libxcb-xkb1"
DEB_TOOLS="desktop-file-utils appstream lintian patchelf dpkg-dev binutils curl"

missing_debs() {
  local pkg out=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || out+=("$pkg")
  done
  echo "${out[@]:-}"
}

install_debs() {
  if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg-query >/dev/null 2>&1; then
    log "not a Debian/Ubuntu system: skipping system packages"
    return
  fi
  local want="$DEB_QT $DEB_X $DEB_TOOLS"
  python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || want="$want python3-venv"
  command -v python3 >/dev/null 2>&1 || want="$want python3 python3-venv"
  command -v node >/dev/null 2>&1 || want="$want nodejs"
  command -v npm >/dev/null 2>&1 || want="$want npm"
  # Ubuntu 24.04 renamed libglib2.0-0.
  if ! apt-cache show libglib2.0-0 >/dev/null 2>&1; then want="${want/libglib2.0-0/libglib2.0-0t64}"; fi
  # shellcheck disable=SC2086
  local missing; missing="$(missing_debs $want)"
  [ -z "${missing// }" ] && return
  if [ "$(id -u)" != "0" ]; then
    log "these Debian packages are missing; install them as root (or with sudo):"
    log "  apt-get install -y --no-install-recommends $missing"
    return
  fi
  log "installing Debian packages: $missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

# ------------------------------------------------------------------------------ Python venv
PY="${PYTHON:-python3}"
VENV="$ROOT/.venv"

# pip prints a warning per package for index locations that only some machines have; keep its
# output for failures only.
pip_quiet() {
  local out
  if ! out="$("$@" 2>&1)"; then
    printf '%s\n' "$out" | grep -v "is ignored: it is neither a file nor a directory" >&2
    return 1
  fi
}

stamp_of() { cat "$@" 2>/dev/null | sha256sum | cut -c1-16; }

setup_venv() {
  "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
    || die "Python 3.11 or newer is needed; $("$PY" --version 2>&1) found"
  [ -x "$VENV/bin/python" ] || { log "creating $VENV"; "$PY" -m venv "$VENV"; }
  local stamp; stamp="$(stamp_of pyproject.toml requirements/constraints.txt)"
  if [ "$(cat "$VENV/.bootstrap-stamp" 2>/dev/null)" != "$stamp" ]; then
    log "installing the project and its dev tools into .venv"
    pip_quiet "$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip
    # Every package pinned and checked against its hash (pip-compile, docs/dependencies.md),
    # then the project itself, editable, with nothing more resolved.
    pip_quiet "$VENV/bin/python" -m pip install -q --disable-pip-version-check \
      --require-hashes -r requirements/constraints.txt
    pip_quiet "$VENV/bin/python" -m pip install -q --disable-pip-version-check \
      --no-deps --no-build-isolation -e .
    echo "$stamp" > "$VENV/.bootstrap-stamp"
  fi
}

# ------------------------------------------------------------------------------ interop peers
setup_peers() {
  command -v node >/dev/null 2>&1 || die "Node.js is needed for the realtime-js interop peers and was not found"
  command -v npm >/dev/null 2>&1 || die "npm is needed for the realtime-js interop peers and was not found"
  local js="$ROOT/tests/interop/js"
  local stamp; stamp="$(stamp_of "$js/package-lock.json")"
  if [ "$(cat "$js/node_modules/.bootstrap-stamp" 2>/dev/null)" != "$stamp" ]; then
    log "installing the realtime-js / supabase-js peers (npm ci)"
    (cd "$js" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
    echo "$stamp" > "$js/node_modules/.bootstrap-stamp"
  fi
  local pyv="$ROOT/.venv-realtime-py"
  stamp="$(stamp_of tests/interop/py/requirements.txt)"
  if [ "$(cat "$pyv/.bootstrap-stamp" 2>/dev/null)" != "$stamp" ]; then
    log "installing realtime-py into its own venv (.venv-realtime-py)"
    [ -x "$pyv/bin/python" ] || "$PY" -m venv "$pyv"
    pip_quiet "$pyv/bin/python" -m pip install -q --disable-pip-version-check -r tests/interop/py/requirements.txt
    echo "$stamp" > "$pyv/.bootstrap-stamp"
  fi
}

setup() {
  install_debs
  setup_venv
  setup_peers
}

# ------------------------------------------------------------------------------ jobs
run_tests() {
  export PATH="$VENV/bin:$PATH"
  export QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}"
  log "ruff check"; ruff check .
  log "ruff format --check"; ruff format --check .
  log "import-linter (layers of docs/architecture.md)"; lint-imports
  log "mypy --strict (protocol, store, client)"; mypy
  log "pytest"; python -m pytest "$@"
}

run_demo() {
  export PATH="$VENV/bin:$PATH"
  if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ] && [ -z "${QT_QPA_PLATFORM:-}" ]; then
    log "no display found: running the window under Xvfb (xvfb-run -a)"
    exec xvfb-run -a realtime-inspector --demo "$@"
  fi
  exec realtime-inspector --demo "$@"
}

case "$JOB" in
  setup) setup ;;
  test) setup; run_tests "$@" ;;
  demo) setup; run_demo "$@" ;;
  *) die "unknown job '$JOB' (use: demo, test or setup)" ;;
esac
