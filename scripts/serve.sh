#!/usr/bin/env bash
# jineng's production server, in the foreground (docs/deploy.md): check, migrate, collect the
# static files, then gunicorn with scripts/gunicorn.conf.py.
#
#   DATABASE_URL=postgres://jineng_app:…@127.0.0.1:5432/jineng ./scripts/serve.sh
#
# Environment (besides the settings of README "生产部署"):
#   JINENG_BIND                  address:port to listen on (127.0.0.1:8000; nginx in front)
#   JINENG_WORKERS               gunicorn workers (2 × cores + 1); JINENG_THREADS > 1 for gthread
#   JINENG_MIGRATE_DATABASE_URL  the owner role's URL for migrate and db_roles (default DATABASE_URL)
#   JINENG_APP_ROLE              after migrate, `manage db_roles --app-role` for this role
#                                (its password from JINENG_APP_ROLE_PASSWORD, if set)
#   JINENG_MIGRATE=false         skip migrate and db_roles (another host or step runs them)
#   JINENG_COLLECTSTATIC=false   skip collectstatic
# The installed environment is used as it is (`uv sync --locked --no-dev` once, see docs/deploy.md):
# a production start never downloads anything.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BIN="${JINENG_VENV:-$ROOT/.venv}/bin"
if [ ! -x "$BIN/gunicorn" ] || [ ! -x "$BIN/jineng" ]; then
  echo "jineng: 未找到 $BIN/gunicorn：请先安装（uv sync --locked --no-dev，见 docs/deploy.md）" >&2
  exit 1
fi

is_true() { case "${1,,}" in 1|true|yes|on) return 0 ;; *) return 1 ;; esac; }

if is_true "${JINENG_PRODUCTION:-false}"; then
  if [ -z "${DATABASE_URL:-}" ]; then
    echo "jineng: 生产环境须设置 DATABASE_URL（PostgreSQL），SQLite 不支持多个工作进程同时写入" >&2
    exit 1
  fi
  # Refuse to start on a setting `check --deploy` objects to, naming it.
  "$BIN/jineng" manage check --deploy --fail-level WARNING
fi

if is_true "${JINENG_MIGRATE:-true}"; then
  # Migrations (and the app role's grants) run as the owner of the tables; the server itself
  # connects as the app role, which cannot rewrite the audit log.
  owner_url="${JINENG_MIGRATE_DATABASE_URL:-${DATABASE_URL:-}}"
  DATABASE_URL="$owner_url" "$BIN/jineng" manage migrate --noinput
  if [ -n "${JINENG_APP_ROLE:-}" ]; then
    DATABASE_URL="$owner_url" "$BIN/jineng" manage db_roles --app-role "$JINENG_APP_ROLE" \
      ${JINENG_APP_ROLE_PASSWORD:+--password-env JINENG_APP_ROLE_PASSWORD}
  fi
fi
if is_true "${JINENG_COLLECTSTATIC:-true}"; then
  "$BIN/jineng" manage collectstatic --noinput --verbosity 0
fi

echo "== jineng: gunicorn on ${JINENG_BIND:-127.0.0.1:8000}（Ctrl-C 停止）" >&2
exec "$BIN/gunicorn" --config "$ROOT/scripts/gunicorn.conf.py" jineng.wsgi:application
