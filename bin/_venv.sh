# Sourced by bin/start, bin/test, .ci/run and the benchmarks. `ensure_venv [GROUP ...]` makes .venv
# and installs the app (and the named dependency groups) when pyproject.toml changed since the last
# install, then puts .venv/bin first on PATH. The installer's output goes to a log file
# ($INSTALL_LOG, default data/install.log), not the screen; a failure shows where it is and its end.
ensure_venv() {
  local venv_dir="${VENV_DIR:-.venv}"
  local log="${INSTALL_LOG:-data/install.log}"
  local label="app${*:+-}$(IFS=-; echo "$*")"
  local stamp
  stamp="$venv_dir/.installed-$(sha256sum pyproject.toml | cut -c1-16)-$label"
  if [ ! -x "$venv_dir/bin/python" ] || [ ! -f "$stamp" ]; then
    mkdir -p "$(dirname "$log")"
    echo "Installing the app${*:+ with the dependency groups: $*} into $venv_dir (a few minutes the first time; log: $log) …"
    if ! _venv_install "$venv_dir" "$@" >>"$log" 2>&1; then
      echo "Installing failed. The installer's output is in $log; its last lines:" >&2
      tail -n 15 "$log" >&2
      return 1
    fi
    touch "$stamp"
  fi
  PATH="$(cd "$venv_dir" && pwd)/bin:$PATH"
  export PATH
}

# Its status is that of the first step that fails (`set -e` does not apply inside an `if`).
_venv_install() {
  local venv_dir="$1"
  shift
  echo "== $(date -u '+%Y-%m-%d %H:%M:%S') UTC: installing into $venv_dir ${*:+(groups: $*)}"
  if [ ! -x "$venv_dir/bin/python" ]; then
    python3 -m venv "$venv_dir" || return
  fi
  "$venv_dir/bin/python" -m pip install --upgrade pip || return
  local group_args=()
  local group
  for group in "$@"; do group_args+=(--group "$group"); done
  "$venv_dir/bin/python" -m pip install -e . "${group_args[@]}"
}
