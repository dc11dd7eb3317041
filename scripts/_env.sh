# Shared by scripts/start.sh and scripts/test.sh: find Python ≥ 3.12, install uv, sync the
# locked environment into .venv. Sourced, not executed.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

find_python() {
  local candidate
  for candidate in "${JINENG_PYTHON:-}" python3.14 python3.13 python3.12 \
      "$HOME"/.pyenv/versions/3.1[2-9]*/bin/python3 /usr/local/bin/python3.1[2-9] /usr/bin/python3.1[2-9] python3; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 \
        && "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; then
      command -v "$candidate"
      return 0
    fi
  done
  return 1
}

PYTHON="$(find_python)" || {
  echo "jineng: 需要 Python ≥ 3.12（Django 6 的要求），未找到。可用 JINENG_PYTHON=/path/to/python3.12 指定。" >&2
  exit 1
}

if ! command -v uv >/dev/null 2>&1; then
  echo "== installing uv (package manager) with $PYTHON -m pip"
  "$PYTHON" -m pip install --quiet --user 'uv==0.13.8' || "$PYTHON" -m pip install --quiet 'uv==0.13.8'
  export PATH="$HOME/.local/bin:$("$PYTHON" -c 'import sysconfig; print(sysconfig.get_path("scripts"))'):$PATH"
fi

# uv must not download interpreters (no network but the package registries); it uses $PYTHON.
export UV_PYTHON_DOWNLOADS=never
echo "== syncing locked dependencies into .venv (Python: $PYTHON)"
uv sync --locked --quiet --python "$PYTHON"
export PATH="$ROOT/.venv/bin:$PATH"
