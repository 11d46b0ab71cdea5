# Sourced by bin/start, bin/test, .ci/run and the benchmarks. `ensure_venv [GROUP ...]` makes .venv
# and installs the app (and the named dependency groups) when pyproject.toml changed since the last
# install, then puts .venv/bin first on PATH.
ensure_venv() {
  local venv_dir="${VENV_DIR:-.venv}"
  if [ ! -x "$venv_dir/bin/python" ]; then
    echo "Creating $venv_dir …"
    python3 -m venv "$venv_dir"
  fi
  local label="app${*:+-}$(IFS=-; echo "$*")"
  local stamp
  stamp="$venv_dir/.installed-$(sha256sum pyproject.toml | cut -c1-16)-$label"
  if [ ! -f "$stamp" ]; then
    echo "Installing the app${*:+ with the dependency groups: $*} into $venv_dir …"
    "$venv_dir/bin/python" -m pip install --quiet --upgrade pip
    local group_args=()
    local group
    for group in "$@"; do group_args+=(--group "$group"); done
    "$venv_dir/bin/python" -m pip install --quiet -e . "${group_args[@]}"
    touch "$stamp"
  fi
  export PATH="$PWD/$venv_dir/bin:$PATH"
}
