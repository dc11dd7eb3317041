#!/usr/bin/env bash
# Install and run the whole test suite: lint (ruff), types (mypy), tests (pytest).
# SQLite by default; set DATABASE_URL=postgres://... to run the suite on PostgreSQL.
source "$(dirname "$0")/_env.sh"
echo "== ruff"
ruff check src bench
echo "== mypy"
mypy
echo "== pytest (database: ${DATABASE_URL:-sqlite})"
pytest "$@"
