# Sourced by bin/start, bin/test and .ci/run: makes .venv and installs the app (and the dependency
# groups named as arguments) when pyproject.toml changed since the last install.
venv_dir="${VENV_DIR:-.venv}"
if [ ! -x "$venv_dir/bin/python" ]; then
  echo "Creating $venv_dir …"
  python3 -m venv "$venv_dir"
fi
groups=("$@")
stamp="$venv_dir/.installed-$(cat pyproject.toml | sha256sum | cut -c1-16)-$(IFS=-; echo "${groups[*]:-app}")"
if [ ! -f "$stamp" ]; then
  echo "Installing the app${groups:+ and the ${groups[*]} dependencies} into $venv_dir …"
  "$venv_dir/bin/python" -m pip install --quiet --upgrade pip
  group_args=()
  for group in "${groups[@]}"; do group_args+=(--group "$group"); done
  "$venv_dir/bin/python" -m pip install --quiet -e . "${group_args[@]}"
  touch "$stamp"
fi
export PATH="$PWD/$venv_dir/bin:$PATH"
