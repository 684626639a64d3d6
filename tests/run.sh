#!/usr/bin/env bash
# Set up everything the test suite needs, then run it. Arguments are passed to pytest.
#
# As root on Debian/Ubuntu it installs the system packages (docker.io, busybox-static,
# poppler-utils, Pango for weasyprint) and starts a private Docker daemon on its own socket,
# stopped again when the tests end. Elsewhere, tests that need a daemon skip and say why.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
[ -x /usr/bin/busybox ] || need+=(busybox-static)
command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
ldconfig -p 2>/dev/null | grep -q 'libpango-1.0' || need+=(libpango-1.0-0 libpangoft2-1.0-0)
ldconfig -p 2>/dev/null | grep -q 'libharfbuzz-subset' || need+=(libharfbuzz-subset0)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "tests/run.sh: not root, so not installing ${need[*]}; the tests that need them will skip." >&2
  fi
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'

if [ -z "${DOCKER_HOST:-}" ] && [ "$(id -u)" = 0 ] && command -v dockerd >/dev/null 2>&1; then
  dir=$(mktemp -d /tmp/auditprep-dockerd.XXXXXX)
  dockerd --storage-driver=vfs --iptables=false --ip6tables=false --bridge=none \
    --host "unix://$dir/docker.sock" --data-root "$dir/data" --exec-root "$dir/exec" \
    --pidfile "$dir/docker.pid" >"$dir/dockerd.log" 2>&1 &
  daemon=$!
  cleanup() {
    kill "$daemon" 2>/dev/null || true
    wait "$daemon" 2>/dev/null || true
    rm -rf "$dir" 2>/dev/null || true
  }
  trap cleanup EXIT
  export DOCKER_HOST="unix://$dir/docker.sock"
  for _ in $(seq 1 60); do
    [ -S "$dir/docker.sock" ] && DOCKER_HOST="$DOCKER_HOST" docker version >/dev/null 2>&1 && break
    sleep 0.5
  done
  if ! docker version >/dev/null 2>&1; then
    echo "tests/run.sh: the Docker daemon did not start; its log follows." >&2
    tail -20 "$dir/dockerd.log" >&2
    exit 1
  fi
fi

# One worker per core; the tests that share the Docker lab or the demo's PDFs stay on one worker
# (tests/conftest.py). The slowest tests are named, to keep the suite fast.
.venv/bin/python -m pytest -q -n auto --dist loadgroup --durations=15 "$@"
