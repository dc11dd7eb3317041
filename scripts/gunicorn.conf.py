"""gunicorn settings of jineng's production server (scripts/serve.sh; docs/deploy.md).

Read from the environment like the rest of jineng; a bad number stops the start naming the variable.
"""

from __future__ import annotations

import os


def _int(name: str, default: int, minimum: int = 1) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < minimum:
        raise SystemExit(f"jineng: 环境变量 {name} 的值 {raw!r} 无效：应为不小于 {minimum} 的整数")
    return int(raw)


bind = [address.strip() for address in os.environ.get("JINENG_BIND", "127.0.0.1:8000").split(",") if address.strip()]
# The usual 2 × cores + 1: a sync worker waits on PostgreSQL most of the time.
workers = _int("JINENG_WORKERS", 2 * (os.cpu_count() or 1) + 1)
# sync (one request per process) by default; gthread with JINENG_THREADS > 1.
threads = _int("JINENG_THREADS", 1)
worker_class = "gthread" if threads > 1 else "sync"
# An import of a large roster or check-in file takes a while; nginx's proxy_read_timeout matches.
timeout = _int("JINENG_TIMEOUT", 120)
graceful_timeout = 30
keepalive = 5
# Recycle a worker now and then: Polars imports can leave a process larger than it started.
max_requests = _int("JINENG_MAX_REQUESTS", 2000, minimum=0)
max_requests_jitter = max_requests // 10
# Load the application (and, through jineng.wsgi, every view module) once in the master: a worker
# is forked ready, not importing for seconds of CPU at its first request — which, with the
# recycling above, at 500 requests/s over 5 workers would be a worker every 4 s (bench/load.py).
# Nothing connects to the database at import, so no connection is shared across the fork. Code
# changes need a restart of the master (not just HUP), as a deployment does anyway.
preload_app = True
# The heartbeat file on tmpfs, so a slow disk cannot make the arbiter kill healthy workers.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None

# The access log holds no personal data: %(U)s is the path alone, never the query string (a search
# may carry a name or resident ID in ?q=…), and neither the Referer (a full URL) nor the user is
# logged. Paths carry numeric ids only. Format: address time "METHOD /path PROTOCOL" status bytes ms.
accesslog = os.environ.get("JINENG_ACCESS_LOG", "-")
errorlog = "-"
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'
# Behind nginx on the same host: trust its X-Forwarded-* headers (Django reads them only when
# JINENG_BEHIND_PROXY=true).
forwarded_allow_ips = os.environ.get("JINENG_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
proc_name = "jineng"
# No runtime control socket (gunicornc): one shared path per user would collide between instances
# (a second server, a benchmark), and nothing here needs resizing a running server.
control_socket_disable = True
