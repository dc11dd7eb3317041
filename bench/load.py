"""Benchmark: the JSON API's read endpoints under concurrent load, PostgreSQL, production server (issue 7).

Run (one command; 3–4 minutes, about half of it loading the data):
  .venv/bin/python bench/load.py [--connections 16 --duration 30 --warmup 5 --workers 4
                                  --worker-class sync|gthread --threads 1 --baseline-duration 15
                                  --ceiling-duration 10
                                  --seed 2023 --keep-database
                                  --database-url postgres://postgres@127.0.0.1:5432/jineng_bench_load]
  .venv/bin/python bench/load.py --sweep   # first tries sync 2–5 workers and gthread ×2/×4, 10 s each

What it does:
  1. creates a fresh database (dropped at the end, even on failure, unless --keep-database; a kept
     database is reused by the next run with the same seed), migrates it and loads the demo data
     (`seed_demo`: the 34 classes moved through every service, claims, payments, vouchers, audit
     rows) and a city-scale plan year on top (`jineng.demo.scale.generate(scale="city")`: ~3,000
     classes, ~120,000 enrollments, ~100,000 persons, 50,000 vouchers), then VACUUM ANALYZE;
  2. signs the readers in as clients do: a bearer token (accounts.ApiToken, the institution
     systems' way in) for each role that may hold one, and for the roles that log in with TOTP —
     which a token would bypass, so TokenAuth refuses them — the session cookie of a completed
     login (written directly: the login flow is not what is measured);
  3. starts the production server: scripts/serve.sh (scripts/gunicorn.conf.py) with JINENG_BIND,
     JINENG_WORKERS, JINENG_THREADS on a free port (migrate and collectstatic skipped: done), or,
     where serve.sh is missing, `gunicorn jineng.wsgi:application` with the same settings;
     JINENG_DEBUG and JINENG_PRODUCTION off (plain HTTP on 127.0.0.1);
  4. asks every request of the mix once (each must answer 200), then drives the mix from
     --connections keep-alive connections of a raw HTTP/1.1 asyncio client in this process
     (reconnecting when a sync worker closes), closed loop: each connection sends its next request
     when the answer is in; --warmup seconds unmeasured, then --duration seconds measured;
  5. baseline, in the same run: the same server with one sync worker, the same mix from the same
     connections (--baseline-duration seconds); the ratio printed is tuned ÷ baseline requests/s;
  6. prints requests/s, p50/p95/p99/max latency, errors (any answer but 200 is one and fails the
     run, with the server log's last lines; so does a connection that got no answer in the window),
     answers per connection, each endpoint's share, p50, p99 and max, where the
     machine's CPU went over the window (this load generator, the server's processes,
     PostgreSQL's backends of this database, everything else on the machine, idle — read from
     /proc), the server's and PostgreSQL's CPU per request (and the rate the cores could sustain at
     that cost), and PASS/FAIL against ≥ 500 requests/s at p99 ≤ 100 ms;
  7. the ceiling, on the tuned server before it stops: /healthz alone, then the cheapest
     authenticated API read alone (the clerk's token, GET /api/v1/online-platforms), from the same
     connections for --ceiling-duration seconds each — the rate no mix of real reads can beat here.

The mix (weights in MIX): GET only, the API's main reads — class list (page 1, and filtered),
class detail, roster, eligibility, attendance, review history, to-do, claims list and detail,
targets overview and drill-down, vouchers list and detail, assessment plans, finance batches, the
audit log — each as the roles that read it (institution clerk, area HR, city HR, leader, finance,
audit administrator), ids drawn from what that reader may see. Reads that show resident IDs in
clear to a clerk or HR write their pii.clear_view audit row, as in production.

Goal (issue 7): ≥ 500 requests/s at p99 ≤ 100 ms on 2 cores; exit 0 on PASS, 1 on FAIL. On a
machine shared with other work the figures say more about the neighbours than about jineng: the
"everything else" CPU share shows how much.

Where it stands (2026-12-07): FAIL, and out of reach on this machine with this stack. The mix:
108–129 requests/s, p99 205–256 ms, 0 errors over ten runs on a quiet 2-core machine (run-to-run
noise about ±10 %); the server and PostgreSQL spend 14.6–17.4 ms of CPU per request of it. The
ceiling runs of the same run show why more endpoint work cannot close the gap: /healthz alone —
no login, one SELECT 1, Django's middleware — reaches 650–810 requests/s at 2.4–2.5 ms of CPU each,
and the cheapest authenticated API read alone (a token, a 3-row list) 320–380 requests/s at
5.0–5.4 ms. The goal is 133–155 % of that cheapest read, for a mix whose every request also reads
and serialises real data. Measured beside it (not in this file): a bare WSGI app under the same
gunicorn serves ~3,500 requests/s, so the floor is Django's request path, authentication and
PostgreSQL's round trips on this Python (pyenv 3.12, built without PGO), not the server; granian in
place of gunicorn served the mix 5–10 % faster only by starving connections (bounded backlog), and
without that bound slower at the tail. Done on the mix: a session's user, the session and the class
behind every /classes/{id}/... read are prepared statements (jineng.db.Joined, q_admits); class
lists, the to-do list and the roster read plain values through prepared statements (fetch_values);
the targets overview is cached per reach and day. What is left would each move the mix by a few per
cent: planning is ~0.6 ms and execution ~1.0 ms of PostgreSQL's time per request (the voucher list
and the claim detail plan for 3–4 ms, the drill-down counts 7,000–30,000 enrolments), the claim
detail builds ~220 model objects. Reaching 500 requests/s needs more cores — the mix scales 1.7–2.1×
from one worker to four on two — not more of the same work.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import os
import random
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from roster_check import _libpq, _server_url  # the benchmarks' shared PostgreSQL URL helpers

ROOT = Path(__file__).resolve().parent.parent
GOAL_RPS = 500.0
GOAL_P99_MS = 100.0
YEAR = 2023
AS_OF = "2023-06-30"
SCALE = "city"
META_TABLE = "bench_load_meta"
LOAD_VERSION = 1  # bump when the loaded data changes shape
BASELINE = "1 sync worker"
READY_SECONDS = 300  # a worker's first request imports every module of the URLconf: slow on a busy machine

# (endpoint, weight): how often each read comes up in the mix. Lists and a class's own pages are
# what reviewers and institution systems read most; the dashboards and the audit log less.
MIX: dict[str, int] = {
    "classes.list": 14,
    "classes.list.filtered": 5,
    "classes.detail": 16,
    "classes.roster": 10,
    "classes.eligibility": 5,
    "classes.attendance": 3,
    "classes.reviews": 4,
    "todo": 8,
    "claims.list": 4,
    "claims.detail": 3,
    "targets.overview": 5,
    "targets.classes": 3,
    "vouchers.list": 4,
    "vouchers.detail": 4,
    "assessment.plans": 3,
    "finance.batches": 2,
    "audit.events": 3,
}
# Readers: bench name → (demo account, what it reads).
READERS: dict[str, str] = {
    "clerk": "clerk_yz",  # 禹州 training school (institution clerk)
    "area_hr": "hr_yz_1",  # 禹州 HR bureau
    "city_hr": "hr_city_1",
    "leader": "leader",
    "finance": "finance",
    "auditor": "auditor",
}
SAMPLE = 40  # ids drawn per reader and kind


def say(message: str = "") -> None:
    print(message, flush=True)


# ── the database ──────────────────────────────────────────────────────────────────────────────


def prepare_database(url: str, seed: int, *, reuse: bool) -> str | None:
    """Create the database; with `reuse`, keep one that holds this load and return its data key."""
    import psycopg
    from psycopg import sql

    server, name = _server_url(url)
    with psycopg.connect(_libpq(server), autocommit=True) as admin:
        if admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None:
            stored = None
            if reuse:
                with psycopg.connect(_libpq(url), autocommit=True) as conn:
                    found = conn.execute("SELECT to_regclass(%s)", [META_TABLE]).fetchone()
                    if found is not None and found[0] is not None:
                        stored = conn.execute(
                            sql.SQL("SELECT seed, version, data_key FROM {}").format(sql.Identifier(META_TABLE))
                        ).fetchone()
            if stored is not None and (stored[0], stored[1]) == (seed, LOAD_VERSION):
                say(f"== 复用数据库 {name}（种子 {seed}）")
                return str(stored[2])
            admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        say(f"== 新建数据库 {name}")
    return None


def drop_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    server, name = _server_url(url)
    with psycopg.connect(_libpq(server), autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    say(f"== 已删除数据库 {name}")


def load(seed: int, data_key: str) -> None:
    from django.core.management import call_command
    from django.db import connection

    from jineng.demo.scale import generate, summary

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    say(f"   迁移 {time.perf_counter() - started:.1f} s")
    lap = time.perf_counter()
    # The demo accounts' password is public: fine in a throwaway benchmark database.
    call_command("seed_demo", allow_production=True, stdout=open(os.devnull, "w"))  # noqa: SIM115
    say(f"   演示数据（seed_demo）{time.perf_counter() - lap:.1f} s")
    lap = time.perf_counter()
    with open(os.devnull, "w") as quiet:
        counts = generate(scale=SCALE, year=YEAR, seed=seed, out=quiet)
    say("   " + summary(counts).strip().replace("\n", "\n   "))
    say(f"   全市规模数据 {time.perf_counter() - lap:.1f} s")
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE TABLE "{META_TABLE}" (seed bigint, version int, data_key text, loaded_at timestamptz)')
        # The key that encrypted the persons' IDs: a reused database needs it again (a benchmark
        # database only; a real key never goes near the data it protects).
        cursor.execute(f'INSERT INTO "{META_TABLE}" VALUES (%s, %s, %s, now())', [seed, LOAD_VERSION, data_key])


def vacuum() -> None:
    """VACUUM ANALYZE: visibility map and statistics, as autovacuum leaves a live database."""
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    say(f"   VACUUM ANALYZE {time.perf_counter() - started:.1f} s")


# ── readers and the mix ───────────────────────────────────────────────────────────────────────


@dataclass
class Reader:
    name: str
    username: str
    role: str
    auth: str  # "token" or "session"
    header: bytes  # the request header line(s) that authenticate it


def sign_in(username: str, name: str) -> Reader:
    """A bearer token where the role may hold one; else a session cookie, as after a real login."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from jineng.accounts.models import ApiToken, User

    user = User.objects.get(username=username)
    try:
        from jineng.accounts.otp import totp_required
    except ImportError:  # before TOTP existed every role could hold a token

        def totp_required(user: User) -> bool:
            return False

    if not totp_required(user):
        from jineng.accounts.services import token_issue

        ApiToken.objects.filter(user=user, name="bench-load").delete()
        security = User.objects.get(username="security")
        _, secret = token_issue(user=user, actor=security, name="bench-load")
        return Reader(name, username, user.role, "token", f"Authorization: Bearer {secret}\r\n".encode())
    # What django.contrib.auth.login() stores, written directly: the TOTP login flow itself is not
    # what this benchmark measures, the reads behind it are.
    from jineng.accounts.security import LAST_SEEN

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session[LAST_SEEN] = int(time.time())
    session.create()
    cookie = f"Cookie: {settings.SESSION_COOKIE_NAME}={session.session_key}\r\n"
    return Reader(name, username, user.role, "session", cookie.encode())


@dataclass
class Request:
    endpoint: str
    reader: str
    path: str
    data: bytes


def _sample(rng: random.Random, ids: list[int], k: int = SAMPLE) -> list[int]:
    ids = sorted(set(ids))
    return rng.sample(ids, min(k, len(ids)))


def build_mix(readers: dict[str, Reader], seed: int) -> dict[str, list[Request]]:
    """Every request of the mix, by endpoint; ids drawn from what each reader may see."""
    from jineng.accounts.models import User
    from jineng.assessment.models import AssessmentPlan
    from jineng.classes.models import ReviewStep
    from jineng.classes.selectors import classes_for
    from jineng.subsidy.selectors import claims_for
    from jineng.vouchers.selectors import vouchers_for

    rng = random.Random(seed)
    users = {
        key: User.objects.select_related("org", "institution").get(username=r.username) for key, r in readers.items()
    }
    mix: dict[str, list[tuple[str, str]]] = defaultdict(list)

    def add(endpoint: str, reader: str, path: str) -> None:
        mix[endpoint].append((reader, "/api/v1" + path))

    class_ids = {
        key: list(classes_for(users[key]).values_list("pk", flat=True))
        for key in ("clerk", "area_hr", "city_hr", "leader", "finance")
    }
    reviewed = set(ReviewStep.objects.values_list("training_class_id", flat=True))
    for key in ("clerk", "area_hr", "city_hr", "leader", "finance"):
        add("classes.list", key, "/classes")
        for pk in _sample(rng, class_ids[key]):
            add("classes.detail", key, f"/classes/{pk}")
    add("classes.list.filtered", "area_hr", "/classes?state=approved")
    add("classes.list.filtered", "area_hr", "/classes?state=ended&limit=50")
    add("classes.list.filtered", "city_hr", "/classes?state=ended&year=2023")
    add("classes.list.filtered", "leader", "/classes?q=%E7%94%B5%E5%B7%A5")  # 电工
    for key in ("clerk", "area_hr", "city_hr"):
        for pk in _sample(rng, class_ids[key], 20):
            add("classes.roster", key, f"/classes/{pk}/roster")
    for key in ("clerk", "area_hr", "leader"):
        for pk in _sample(rng, class_ids[key], 20):
            add("classes.eligibility", key, f"/classes/{pk}/eligibility")
    for key in ("clerk", "area_hr"):
        for pk in _sample(rng, class_ids[key], 10):
            add("classes.attendance", key, f"/classes/{pk}/attendance")
    for key in ("clerk", "area_hr", "city_hr"):
        for pk in _sample(rng, [pk for pk in class_ids[key] if pk in reviewed]):
            add("classes.reviews", key, f"/classes/{pk}/reviews")
    for key in ("clerk", "area_hr", "city_hr"):
        add("todo", key, "/todo")
    for key in ("clerk", "area_hr", "city_hr", "finance"):
        add("claims.list", key, "/claims")
        for pk in _sample(rng, list(claims_for(users[key]).values_list("pk", flat=True))):
            add("claims.detail", key, f"/claims/{pk}")
    for key in ("area_hr", "city_hr", "leader"):
        add("targets.overview", key, f"/targets/overview?year={YEAR}&as_of={AS_OF}")
        add("targets.classes", key, f"/targets/classes?indicator=training&year={YEAR}&as_of={AS_OF}")
    add("targets.classes", "leader", f"/targets/classes?indicator=subsidised&year={YEAR}&as_of={AS_OF}&offset=100")
    for key in ("clerk", "area_hr", "city_hr"):
        add("vouchers.list", key, "/vouchers")
        for pk in _sample(rng, list(vouchers_for(users[key]).values_list("pk", flat=True))):
            add("vouchers.detail", key, f"/vouchers/{pk}")
    if AssessmentPlan.objects.exists():
        for key in ("clerk", "area_hr", "city_hr"):
            add("assessment.plans", key, "/assessment/plans")
    for key in ("area_hr", "finance"):
        add("finance.batches", key, "/finance/batches")
    add("audit.events", "auditor", "/audit-events")
    add("audit.events", "auditor", "/audit-events?event=class.submit")

    built: dict[str, list[Request]] = {}
    for endpoint, entries in mix.items():
        built[endpoint] = [
            Request(
                endpoint,
                reader,
                path,
                (
                    f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\n".encode()
                    + readers[reader].header
                    + b"\r\n"
                ),
            )
            for reader, path in entries
        ]
    missing = [e for e in MIX if not built.get(e)]
    if missing:
        raise SystemExit(f"数据中没有可读的对象：{'、'.join(missing)}")
    return built


# The stack's own ceiling on this machine, measured on the tuned server in the same run: the
# cheapest requests there are, each alone from the same connections. No mix of real reads can go
# faster than the cheapest authenticated one; how far below it the mix runs is what the endpoints cost.
CEILINGS: dict[str, str] = {
    "ceiling.healthz": "GET /healthz (no login; one SELECT 1)",
    "ceiling.read": "GET /api/v1/online-platforms as the clerk (token; the cheapest authenticated API read, 3 rows)",
}


def build_ceilings(readers: dict[str, Reader]) -> dict[str, dict[str, list[Request]]]:
    head = b"Host: 127.0.0.1\r\nAccept: application/json\r\n"
    return {
        "ceiling.healthz": {
            "ceiling.healthz": [
                Request("ceiling.healthz", "", "/healthz", b"GET /healthz HTTP/1.1\r\n" + head + b"\r\n")
            ]
        },
        "ceiling.read": {
            "ceiling.read": [
                Request(
                    "ceiling.read",
                    "clerk",
                    "/api/v1/online-platforms",
                    b"GET /api/v1/online-platforms HTTP/1.1\r\n" + head + readers["clerk"].header + b"\r\n",
                )
            ]
        },
    }


class Picker:
    """Draws requests of the mix by weight, reproducibly (one stream per connection)."""

    def __init__(self, mix: dict[str, list[Request]], seed: int) -> None:
        # The weights of MIX; a mix of other endpoints (the ceilings) draws them evenly.
        self.endpoints = list(mix)
        self.weights = [MIX.get(e, 1) for e in self.endpoints]
        self.mix = mix
        self.rng = random.Random(seed)

    def __call__(self) -> Request:
        endpoint = self.rng.choices(self.endpoints, self.weights)[0]
        return self.rng.choice(self.mix[endpoint])


# ── the server ────────────────────────────────────────────────────────────────────────────────


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    label: str
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            # The whole process group: serve.sh, gunicorn's master and its workers.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


def start_server(
    env: dict[str, str], workdir: Path, *, workers: int, worker_class: str, threads: int, label: str
) -> Server:
    port = free_port()
    log = workdir / f"server-{label.split(':')[0]}.log"
    serve = ROOT / "scripts" / "serve.sh"
    server_env = dict(env)
    if serve.exists():
        # The production recipe as it is (scripts/gunicorn.conf.py), on this port and worker count;
        # the database is migrated already and the API needs no static files.
        server_env.update(
            JINENG_BIND=f"127.0.0.1:{port}",
            JINENG_WORKERS=str(workers),
            JINENG_THREADS=str(threads if worker_class == "gthread" else 1),
            JINENG_MIGRATE="false",
            JINENG_COLLECTSTATIC="false",
        )
        command = ["bash", str(serve)]
    else:
        gunicorn = str(Path(sys.executable).parent / "gunicorn")
        command = [
            gunicorn,
            "jineng.wsgi:application",
            f"--bind=127.0.0.1:{port}",
            f"--workers={workers}",
            f"--worker-class={worker_class}",
            f"--threads={threads}",
            "--access-logfile=-",
            # A worker imports the whole URLconf on its first request: slow on a busy machine.
            "--timeout=120",
            # gunicorn 27 opens a control socket at one fixed path by default; several servers at once.
            "--no-control-socket",
        ]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=ROOT, env=server_env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = Server(label, process, port, log)
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"服务器启动失败（退出码 {process.returncode}），日志：\n{tail(log)}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=READY_SECONDS) as answer:
                if answer.status == 200:
                    return server
        except OSError:
            pass
        time.sleep(0.3)
    server.stop()
    raise RuntimeError(f"服务器 {READY_SECONDS} 秒内未就绪，日志：\n{tail(log)}")


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def server_command(server: Server) -> str:
    """The gunicorn command line actually running (read back from /proc)."""
    for pid in [server.process.pid, *_descendants(server.process.pid)]:
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        words = [a.decode(errors="replace") for a in argv if a]
        if any("gunicorn" in w for w in words):
            return " ".join(Path(w).name if i < 2 else w for i, w in enumerate(words))
    return "?"


# ── CPU accounting (Linux /proc) ──────────────────────────────────────────────────────────────

TICK = os.sysconf("SC_CLK_TCK")


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = defaultdict(list)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))) is not None:
            children[int(fields[1])].append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _stat(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def _cpu_seconds(pids: list[int], *, reaped: bool = False) -> float:
    """CPU seconds of `pids`; with `reaped`, also of their children that have ended.

    gunicorn recycles a worker every JINENG_MAX_REQUESTS answers: the ended worker's CPU moves to
    the master's cutime/cstime when the master reaps it, and would be lost without them."""
    total = 0
    for pid in pids:
        fields = _stat(pid)
        if fields is None:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
        if reaped:
            total += int(fields[13]) + int(fields[14])  # cutime, cstime
    return total / TICK


def _machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    total = sum(values[:8])
    return (total - idle) / TICK, total / TICK


def _postgres_cpu(url: str) -> tuple[dict[int, float], float]:
    """CPU seconds of each PostgreSQL backend connected to the benchmark database, and of the
    backends the postmaster has reaped (a recycled server worker's backend ends with it)."""
    import psycopg

    _, name = _server_url(url)
    with psycopg.connect(_libpq(url), autocommit=True) as conn:
        pids = [
            row[0]
            for row in conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", [name]
            ).fetchall()
        ]
        own = _stat(int(conn.execute("SELECT pg_backend_pid()").fetchone()[0]))  # type: ignore[index]
    postmaster = int(own[1]) if own is not None else 0
    reaped = 0.0
    if postmaster:
        fields = _stat(postmaster)
        reaped = (int(fields[13]) + int(fields[14])) / TICK if fields is not None else 0.0
    return {pid: _cpu_seconds([pid]) for pid in pids}, reaped


@dataclass
class CpuSnapshot:
    generator: float
    server: float
    postgres: dict[int, float]
    postgres_reaped: float
    busy: float
    total: float


def cpu_snapshot(server: Server, database_url: str) -> CpuSnapshot:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    busy, total = _machine_busy()
    backends, reaped = _postgres_cpu(database_url)
    return CpuSnapshot(
        generator=usage.ru_utime + usage.ru_stime,
        server=_cpu_seconds([server.process.pid, *_descendants(server.process.pid)], reaped=True),
        postgres=backends,
        postgres_reaped=reaped,
        busy=busy,
        total=total,
    )


# ── the load generator: raw HTTP/1.1 over asyncio streams ─────────────────────────────────────


class BadAnswer(Exception):
    pass


async def read_answer(reader: asyncio.StreamReader) -> tuple[int, int, bool]:
    """(status, body bytes, server closes the connection) of one HTTP/1.1 answer."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    parts = lines[0].split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
        raise BadAnswer(lines[0][:80].decode(errors="replace"))
    status = int(parts[1])
    length, chunked, close = None, False, parts[0] == b"HTTP/1.0"
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        key = name.strip().lower()
        if key == b"content-length":
            length = int(value)
        elif key == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
        elif key == b"connection":
            close = value.strip().lower() == b"close"
    if chunked:
        size = 0
        while True:
            n = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if n == 0:
                await reader.readuntil(b"\r\n")
                break
            await reader.readexactly(n + 2)
            size += n
        return status, size, close
    if length is None:  # no length: the body runs to the end of the connection
        body = await reader.read()
        return status, len(body), True
    await reader.readexactly(length)
    return status, length, close


@dataclass
class Results:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    examples: dict[str, str] = field(default_factory=dict)
    bytes_in: int = 0
    reconnects: int = 0
    # Answers each connection got in the window: a server that serves some connections and starves
    # the others (a bounded queue, an unfair accept) looks fast on the answers it did give.
    per_connection: list[int] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(len(v) for v in self.latencies.values())

    @property
    def error_count(self) -> int:
        return sum(self.errors.values()) + self.starved

    @property
    def starved(self) -> int:
        """Connections that got no answer in the measured window: each counts as an error."""
        return sum(1 for n in self.per_connection if n == 0)


async def drive(port: int, pick: Picker, *, stop_at: float, measure_from: float, results: Results) -> None:
    """One connection: send, read the answer, record (after the warm-up), repeat until stop_at.

    An answer counts when it arrives after the warm-up, with its whole wait: one asked during the
    warm-up and answered late is a slow answer of the window, not a lost one. The request in flight
    at stop_at is waited for and counted too."""
    reader: asyncio.StreamReader | None = None
    writer: asyncio.StreamWriter | None = None
    clock = time.perf_counter
    slot = len(results.per_connection)
    results.per_connection.append(0)
    while clock() < stop_at:
        request = pick()
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                results.reconnects += 1
            assert reader is not None
            started = clock()
            writer.write(request.data)
            status, size, close = await read_answer(reader)
            done = clock()
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, BadAnswer, ValueError) as exc:
            if clock() >= measure_from:
                results.errors[request.endpoint] += 1
                results.examples.setdefault(request.endpoint, f"{request.path}: {type(exc).__name__} {exc}")
            if writer is not None:
                writer.close()
            reader = writer = None
            continue
        if done >= measure_from:
            results.per_connection[slot] += 1
            results.latencies[request.endpoint].append((done - started) * 1000)
            results.bytes_in += size
            if status != 200:
                results.errors[request.endpoint] += 1
                results.examples.setdefault(request.endpoint, f"{request.path} as {request.reader}: HTTP {status}")
        if close:
            writer.close()
            reader = writer = None
    if writer is not None:
        writer.close()


@dataclass
class Run:
    label: str
    command: str
    results: Results
    seconds: float
    cpu: dict[str, float]
    log_tail: str = ""

    @property
    def rps(self) -> float:
        return self.results.count / self.seconds

    def all_ms(self) -> list[float]:
        return sorted(ms for v in self.results.latencies.values() for ms in v)


def percentile(ordered: list[float], p: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), int(-(-p * len(ordered) // 100))))
    return ordered[rank - 1]


def load_run(
    server: Server,
    mix: dict[str, list[Request]],
    *,
    connections: int,
    warmup: float,
    duration: float,
    seed: int,
    database_url: str,
) -> Run:
    results = Results()
    snapshots: list[CpuSnapshot] = []

    async def main() -> None:
        loop = asyncio.get_running_loop()
        start = time.perf_counter()
        measure_from, stop_at = start + warmup, start + warmup + duration

        def snap() -> None:
            snapshots.append(cpu_snapshot(server, database_url))

        loop.call_later(warmup, snap)
        tasks = [
            asyncio.create_task(
                drive(
                    server.port,
                    Picker(mix, seed * 1000 + i),
                    stop_at=stop_at,
                    measure_from=measure_from,
                    results=results,
                )
            )
            for i in range(connections)
        ]
        await asyncio.gather(*tasks)
        snap()

    asyncio.run(main())
    first, last = snapshots[0], snapshots[-1]
    capacity = last.total - first.total  # CPU-seconds the machine's cores had over the window
    seconds = {
        "generator": last.generator - first.generator,
        "server": last.server - first.server,
        # A backend opened during the window (a worker reconnecting) counts from its start; one that
        # ended in it (its worker recycled) by what the postmaster reaped, less what it had used before.
        "postgres": sum(cpu - first.postgres.get(pid, 0.0) for pid, cpu in last.postgres.items())
        + (last.postgres_reaped - first.postgres_reaped)
        - sum(cpu for pid, cpu in first.postgres.items() if pid not in last.postgres),
        "machine": last.busy - first.busy,
    }
    seconds["others"] = max(0.0, seconds["machine"] - seconds["generator"] - seconds["server"] - seconds["postgres"])
    cpu = {key: value / capacity for key, value in seconds.items()}  # shares of the whole machine
    cpu["server_ms_per_request"] = (seconds["server"] + seconds["postgres"]) * 1000 / max(1, results.count)
    cpu["generator_ms_per_request"] = seconds["generator"] * 1000 / max(1, results.count)
    log_tail = tail(server.log, 40) if results.error_count else ""
    return Run(server.label, server_command(server), results, duration, cpu, log_tail)


def check_mix(port: int, mix: dict[str, list[Request]]) -> list[str]:
    """Every request of the mix once: the ones that do not answer 200."""
    failures: list[str] = []

    async def main() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for requests in mix.values():
            for request in requests:
                writer.write(request.data)
                status, _, close = await read_answer(reader)
                if status != 200:
                    failures.append(f"{request.path} as {request.reader}: HTTP {status}")
                if close:
                    writer.close()
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.close()

    asyncio.run(main())
    return failures


# ── reporting ─────────────────────────────────────────────────────────────────────────────────


def report(run: Run, *, per_endpoint: bool) -> None:
    ms = run.all_ms()
    r = run.results
    say(f"  [{run.label}] {run.command}")
    say(
        f"    {r.count:,} requests in {run.seconds:.0f} s = {run.rps:,.0f} requests/s; latency p50 "
        f"{percentile(ms, 50):.1f} ms, p95 {percentile(ms, 95):.1f} ms, p99 {percentile(ms, 99):.1f} ms, "
        f"max {ms[-1] if ms else float('nan'):.1f} ms; errors {r.error_count}; "
        f"{r.bytes_in / run.seconds / 1e6:.1f} MB/s of answers; {r.reconnects:,} connections opened; "
        f"answers per connection {min(r.per_connection, default=0):,}–{max(r.per_connection, default=0):,}"
        + (f" ({r.starved} connections got none: counted as errors)" if r.starved else "")
    )
    c = run.cpu
    cores = os.cpu_count() or 1
    say(
        f"    CPU, share of the machine ({cores} cores): load generator {c['generator']:.1%}, server "
        f"{c['server']:.1%}, PostgreSQL {c['postgres']:.1%}, everything else on the machine {c['others']:.1%}, "
        f"idle {max(0.0, 1 - c['machine']):.1%}"
    )
    cost = c["server_ms_per_request"]
    say(
        f"    CPU per request: server + PostgreSQL {cost:.2f} ms, load generator "
        f"{c['generator_ms_per_request']:.2f} ms (so {cores} cores given to server and PostgreSQL alone "
        f"would serve at most ~{cores * 1000 / cost:,.0f} requests/s)"
    )
    if per_endpoint:
        say(f"    {'endpoint':24} {'share':>6} {'count':>7} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}  errors")
        for endpoint in MIX:
            values = sorted(r.latencies.get(endpoint, []))
            if not values and not r.errors.get(endpoint):
                continue
            say(
                f"    {endpoint:24} {len(values) / max(1, r.count):6.1%} {len(values):7,} "
                f"{percentile(values, 50):8.1f} {percentile(values, 99):8.1f} "
                f"{values[-1] if values else float('nan'):8.1f}  {r.errors.get(endpoint, 0)}"
            )
    for endpoint, example in list(r.examples.items())[:10]:
        say(f"    error: {endpoint}: {example}")
    if r.error_count and run.log_tail:
        say("    server log (last lines):\n      " + run.log_tail.replace("\n", "\n      "))


# ── main ──────────────────────────────────────────────────────────────────────────────────────


def setup_django(url: str, data_dir: Path, data_key: str, secret_key: str) -> dict[str, str]:
    """The environment of this process and the server's (same database, same keys)."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=url,
        DJANGO_SETTINGS_MODULE="jineng.settings",
        JINENG_DATA_DIR=str(data_dir),
        JINENG_DATA_KEY=data_key,
        JINENG_SECRET_KEY=secret_key,
        JINENG_DEBUG="false",
        JINENG_PRODUCTION="false",
    )
    os.environ.update(env)
    import django

    django.setup()
    return env


@contextlib.contextmanager
def running(
    env: dict[str, str], workdir: Path, *, workers: int, worker_class: str, threads: int, label: str
) -> Iterator[Server]:
    server = start_server(env, workdir, workers=workers, worker_class=worker_class, threads=threads, label=label)
    try:
        yield server
    finally:
        server.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--connections", type=int, default=16, help="concurrent keep-alive connections (default 16)")
    parser.add_argument("--duration", type=float, default=30.0, help="measured seconds (default 30)")
    parser.add_argument("--warmup", type=float, default=5.0, help="unmeasured seconds first (default 5)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (default 4)")
    parser.add_argument("--worker-class", default="sync", choices=("sync", "gthread"))
    parser.add_argument("--threads", type=int, default=1, help="threads per worker (gthread)")
    parser.add_argument("--baseline-duration", type=float, default=15.0)
    parser.add_argument(
        "--ceiling-duration", type=float, default=10.0, help="seconds of each ceiling run on the tuned server (0: none)"
    )
    parser.add_argument("--sweep", action="store_true", help="first try sync/gthread × 2–5 workers, 10 s each")
    parser.add_argument("--seed", type=int, default=2023)
    parser.add_argument("--keep-database", action="store_true", help="keep the database (and reuse a kept one)")
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/jineng_bench_load")
    args = parser.parse_args()
    if args.connections < 1 or args.duration <= 0 or args.warmup < 0:
        parser.error("--connections ≥ 1, --duration > 0, --warmup ≥ 0")

    workdir = Path(tempfile.mkdtemp(prefix="jineng-load-bench-"))
    created = False
    try:
        data_key = prepare_database(args.database_url, args.seed, reuse=args.keep_database)
        created = True
        fresh = data_key is None
        if data_key is None:
            data_key = base64.b64encode(secrets.token_bytes(32)).decode()
        env = setup_django(args.database_url, workdir, data_key, secrets.token_urlsafe(50))
        if fresh:
            say(f"== 载入数据（seed_demo + {SCALE} 规模 {YEAR} 年，种子 {args.seed}）")
            load(args.seed, data_key)
        else:
            from django.core.management import call_command

            call_command("migrate", verbosity=0)
        vacuum()
        readers = {name: sign_in(username, name) for name, username in READERS.items()}
        mix = build_mix(readers, args.seed)
        from django.db import connection

        from jineng.classes.models import Enrollment, TrainingClass

        sizes = (TrainingClass.objects.count(), Enrollment.objects.count())
        connection.close()
        say(
            "== 读者："
            + "，".join(
                f"{r.username}（{r.role}，{'令牌' if r.auth == 'token' else '会话'}）" for r in readers.values()
            )
        )
        say(f"== 请求组合：{len(MIX)} 个端点，{sum(len(v) for v in mix.values())} 个不同请求")

        def measure(
            label: str,
            workers: int,
            worker_class: str,
            threads: int,
            duration: float,
            ceilings: list[Run] | None = None,
        ) -> Run:
            """A run of the mix on a server of its own; with `ceilings`, then the ceiling runs on it too."""
            with running(
                env, workdir, workers=workers, worker_class=worker_class, threads=threads, label=label
            ) as server:
                if not checked:
                    failures = check_mix(server.port, mix)
                    if failures:
                        raise RuntimeError("以下请求未返回 200：\n  " + "\n  ".join(failures[:30]))
                    checked.append(True)
                run = load_run(
                    server,
                    mix,
                    connections=args.connections,
                    warmup=args.warmup,
                    duration=duration,
                    seed=args.seed,
                    database_url=args.database_url,
                )
                if ceilings is not None and args.ceiling_duration > 0:
                    for name, alone in build_ceilings(readers).items():
                        probe = load_run(
                            server,
                            alone,
                            connections=args.connections,
                            warmup=2.0,
                            duration=args.ceiling_duration,
                            seed=args.seed,
                            database_url=args.database_url,
                        )
                        probe.label = name
                        ceilings.append(probe)
                return run

        checked: list[bool] = []

        if args.sweep:
            say("== 调优：sync 2–5 个 worker，gthread 2–3 个 worker × 2/4 线程，各 10 s")
            configs = [("sync", w, 1) for w in (2, 3, 4, 5)] + [("gthread", w, t) for w in (2, 3) for t in (2, 4)]
            for worker_class, workers, threads in configs:
                run = measure(f"{worker_class} {workers}×{threads}", workers, worker_class, threads, 10.0)
                ms = run.all_ms()
                say(
                    f"   {worker_class:7} workers {workers} threads {threads}: {run.rps:7,.0f} requests/s, "
                    f"p50 {percentile(ms, 50):6.1f} ms, p99 {percentile(ms, 99):6.1f} ms, errors "
                    f"{run.results.error_count}; CPU per request {run.cpu['server_ms_per_request']:.2f} ms; "
                    f"machine: server {run.cpu['server']:.0%}, PostgreSQL {run.cpu['postgres']:.0%}, "
                    f"others {run.cpu['others']:.0%}"
                )

        label = f"tuned: {args.worker_class}, {args.workers} workers" + (
            f" × {args.threads} threads" if args.worker_class == "gthread" else ""
        )
        say(f"== 测量：{label}，{args.connections} 个连接，预热 {args.warmup:.0f} s，测量 {args.duration:.0f} s")
        ceilings: list[Run] = []
        tuned = measure(label, args.workers, args.worker_class, args.threads, args.duration, ceilings)
        say(f"== 基线：{BASELINE}，同样的组合与连接，测量 {args.baseline_duration:.0f} s")
        base = measure(f"baseline: {BASELINE}", 1, "sync", 1, args.baseline_duration)

        say()
        say(
            f"load benchmark (PostgreSQL, gunicorn, JINENG_DEBUG/JINENG_PRODUCTION off): {sizes[0]:,} classes, "
            f"{sizes[1]:,} enrollments; {len(MIX)} read endpoints as {len(readers)} readers; "
            f"{args.connections} keep-alive connections, closed loop; load average "
            f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs"
        )
        report(tuned, per_endpoint=True)
        report(base, per_endpoint=False)
        ms = tuned.all_ms()
        p99 = percentile(ms, 99)
        ratio = tuned.rps / base.rps if base.rps else float("inf")
        say(f"  ratio tuned/baseline = {ratio:.1f}× requests/s (baseline: {BASELINE}, same mix and connections)")
        if ceilings:
            say(
                f"  ceiling of this stack on this machine (the tuned server, {args.connections} connections, "
                f"one request alone, {args.ceiling_duration:.0f} s each):"
            )
            for probe in ceilings:
                probe_ms = probe.all_ms()
                say(
                    f"    {CEILINGS[probe.label]}: {probe.rps:,.0f} requests/s, p99 {percentile(probe_ms, 99):.1f} ms, "
                    f"CPU per request {probe.cpu['server_ms_per_request']:.2f} ms, errors {probe.results.error_count}"
                )
            cheapest = next((p for p in ceilings if p.label == "ceiling.read"), None)
            if cheapest is not None and cheapest.rps:
                say(
                    f"    the mix runs at {tuned.rps / cheapest.rps:.0%} of the cheapest authenticated read's rate; "
                    f"the goal is {GOAL_RPS / cheapest.rps:.0%} of it"
                )
        errors = tuned.results.error_count + base.results.error_count
        ok_rps, ok_p99 = tuned.rps >= GOAL_RPS, p99 <= GOAL_P99_MS
        say(f"  {'PASS' if ok_rps else 'FAIL'}: {tuned.rps:,.0f} requests/s vs goal ≥ {GOAL_RPS:,.0f}")
        say(f"  {'PASS' if ok_p99 else 'FAIL'}: p99 {p99:.1f} ms vs goal ≤ {GOAL_P99_MS:.0f} ms")
        say(f"  {'PASS' if not errors else 'FAIL'}: {errors} errors (any answer but 200)")
        return 0 if ok_rps and ok_p99 and not errors else 1
    except RuntimeError as exc:
        say(f"FAIL: {exc}")
        return 1
    finally:
        with contextlib.suppress(Exception):
            from django.db import connections

            connections.close_all()
        if created and not args.keep_database:
            drop_database(args.database_url)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
