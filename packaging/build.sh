#!/usr/bin/env bash
# From a fresh clone, one command per artifact: sets the machine up (the same idempotent step as
# `bash scripts/bootstrap.sh setup`: Debian packages as root, .venv with the pinned dev tools),
# then runs packaging/make.py with the venv's Python.
#
#   bash packaging/build.sh bundle | tarball | deb | wheel | icons | all   [make.py options]
#
# Artifacts land in packaging/out/ (see packaging/README.md).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
[ $# -ge 1 ] || { echo "usage: bash packaging/build.sh bundle|tarball|deb|wheel|icons|all [options]" >&2; exit 2; }
bash "$ROOT/scripts/bootstrap.sh" setup
exec "$ROOT/.venv/bin/python" "$ROOT/packaging/make.py" "$@"
