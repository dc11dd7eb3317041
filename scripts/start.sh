#!/usr/bin/env bash
# Install and start jineng on SQLite with demo data, served on http://127.0.0.1:8000
source "$(dirname "$0")/_env.sh"
export JINENG_DEBUG="${JINENG_DEBUG:-true}"
jineng manage migrate --no-input
jineng manage seed_demo
echo "== jineng: http://${JINENG_HOST:-127.0.0.1}:${JINENG_PORT:-8000}/  （Ctrl-C 停止）"
exec jineng manage runserver "${JINENG_HOST:-127.0.0.1}:${JINENG_PORT:-8000}"
