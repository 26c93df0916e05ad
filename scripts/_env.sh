# Sourced by the entry-point scripts: creates/refreshes the pinned virtualenvs and exports the
# settings every cdktf/jsii process here needs. Idempotent: a stamp holds the hash of the
# requirements file that built each venv, so an unchanged venv costs nothing.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export REPO_ROOT
# jsii unpacks ~450 MB of bindings on first use; keep it inside the repo's ignored cache.
export JSII_RUNTIME_PACKAGE_CACHE_ROOT="$REPO_ROOT/.cache/jsii"
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20
export CHECKPOINT_DISABLE=1
export PIP_DISABLE_PIP_VERSION_CHECK=1

_find_python() {
  for candidate in "${PYTHON:-}" python3.13 python3.12 python3.11 python3; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 &&
      "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
      command -v "$candidate"
      return 0
    fi
  done
  echo "error: python >= 3.11 is required (set PYTHON=/path/to/python3.11+)" >&2
  return 1
}

# ensure_venv DIR REQUIREMENTS_FILE
ensure_venv() {
  local dir="$1" req="$2" want have py
  want="$(sha256sum "$req" | cut -d' ' -f1)"
  have="$(cat "$dir/.stamp" 2>/dev/null || true)"
  if [ "$want" = "$have" ] && [ -x "$dir/bin/python" ]; then
    return 0
  fi
  py="$(_find_python)"
  echo "bootstrap: installing $(basename "$req") into ${dir#"$REPO_ROOT"/} (one-time)" >&2
  rm -rf "$dir"
  "$py" -m venv "$dir"
  local log
  # --no-deps installs exactly the pinned set; pip check below proves it is complete and consistent.
  if ! log="$("$dir/bin/python" -m pip install --quiet --no-deps -r "$req" 2>&1)"; then
    printf '%s\n' "$log" | grep -v 'is ignored: it is neither' >&2
    echo "bootstrap: pip install -r $(basename "$req") failed" >&2
    return 1
  fi
  "$dir/bin/python" -m pip check >&2
  echo "$want" >"$dir/.stamp"
}

# The function package's wheels for every platform, so synths work without a network.
ensure_lambda_wheels() {
  local req="$REPO_ROOT/lambda_src/requirements.txt" stamp="$REPO_ROOT/.cache/wheels/.stamp" want
  want="$(sha256sum "$req" | cut -d' ' -f1)"
  [ "$(cat "$stamp" 2>/dev/null || true)" = "$want" ] && return 0
  echo "bootstrap: downloading the function's runtime wheels (one-time)" >&2
  (cd "$REPO_ROOT" && "$REPO_ROOT/.venv/bin/python" -m modules.packaging prefetch)
  echo "$want" >"$stamp"
}

ensure_main_venv() {
  ensure_venv "$REPO_ROOT/.venv" "$REPO_ROOT/requirements.txt"
  ensure_lambda_wheels
}
# The JavaScript clients the end-to-end tests drive (tests/node), exactly as locked.
ensure_node_clients() {
  local dir="$REPO_ROOT/tests/node" want
  if ! command -v npm >/dev/null 2>&1; then
    echo "bootstrap: npm not found: the JavaScript client tests will be skipped" >&2
    return 0
  fi
  want="$(cat "$dir/package.json" "$dir/package-lock.json" | sha256sum | cut -d' ' -f1)"
  [ "$(cat "$dir/node_modules/.stamp" 2>/dev/null || true)" = "$want" ] && return 0
  echo "bootstrap: installing the JavaScript test clients into tests/node/node_modules (one-time)" >&2
  (cd "$dir" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error >&2)
  echo "$want" >"$dir/node_modules/.stamp"
}
ensure_checkov_venv() { ensure_venv "$REPO_ROOT/.venv-checkov" "$REPO_ROOT/requirements-checkov.txt"; }
