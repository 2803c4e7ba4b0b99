# Sourced by scripts/*: defines ensure_venv [EXTRAS], which makes .venv with the project installed
# (editable) on the locked, hashed dependencies (requirements.lock; with extras,
# requirements-dev.lock; scripts/lock refreshes both), re-installing only when
# pyproject.toml or the lock changed. The caller's own arguments are
# never read here (a sourced file sees them as $1, $2, ...): extras are passed to the function.
# Needs python3 >= 3.11 and access to PyPI the first time.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

ensure_venv() {
  local extras=${1:-}
  local python=${PYTHON:-python3}
  if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "gutskin-bot needs Python 3.11 or newer (found $("$python" --version 2>&1))" >&2
    exit 2
  fi
  [ -x .venv/bin/python ] || "$python" -m venv .venv
  local stamp=".venv/.installed${extras:+-$extras}"
  local lock=requirements.lock
  [ -z "$extras" ] || lock=requirements-dev.lock
  local want
  want=$(cat pyproject.toml "$lock" | sha256sum | cut -d' ' -f1)
  [ "$(cat "$stamp" 2>/dev/null)" = "$want" ] && return 0
  if [ -z "$extras" ]; then
    # An install with extras (e.g. scripts/test's [dev]) has everything the bot needs too.
    local other dev
    dev=$(cat pyproject.toml requirements-dev.lock | sha256sum | cut -d' ' -f1)
    for other in .venv/.installed-*; do
      [ "$(cat "$other" 2>/dev/null)" = "$dev" ] && return 0
    done
  fi
  echo "Installing gutskin-bot${extras:+ with [$extras]} into .venv ..." >&2
  # One log per extras, and the previous try's log kept beside it (.prev), so a second try
  # never overwrites the log of the first failure.
  local log=".venv/install${extras:+-$extras}.log"
  [ -f "$log" ] && mv -f "$log" "$log.prev"
  if ! { .venv/bin/python -m pip install --upgrade pip \
         && .venv/bin/python -m pip install --require-hashes -r "$lock" \
         && .venv/bin/python -m pip install --no-deps -e .; } >"$log" 2>&1; then
    tail -20 "$log" >&2
    echo "Installing failed; the whole log is in $log" >&2
    [ -f "$log.prev" ] && echo "(the previous try's log is in $log.prev)" >&2
    exit 1
  fi
  echo "$want" > "$stamp"
}
