"""Benchmark: `jineng audit-online` on 10 million events (issue: online-learning audit engine).

Run:
  .venv/bin/python bench/online_audit.py [--events 10000000] [--runs 3] [--sample 200000] [--profile]

The first run generates the events (bench/online_data.py: realistic sessions, some cheating,
0.5 % sent twice) into bench/.data/ as Parquet and CSV, with a courses and a platforms file;
later runs reuse them. Then, all in this one process and with Polars on every core
(POLARS_MAX_THREADS unset):

  end to end:  exactly what `jineng audit-online EVENTS.parquet --courses … --platforms …
               --out results.json` does (jineng.cli.main: read and validate the Parquet file,
               pick the policy, sort, de-duplicate, audit, render the JSON, write it atomically),
               --runs times; the first run also pays for the process's first memory pages;
  CSV:         the same with the CSV file (times as ISO 8601 text), once;
  reference:   reference.py (plain Python, per row) against the engine on a sample of whole
               learners (--sample events, default 200,000), on the same validated frame; both
               must give the same results.

Goal: ≥ 5,000,000 events/s end to end (median of the runs) on this machine.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from jineng.cli import AUDIT_MALLOC_CONF

# The CLI sets its allocator's configuration before Polars loads (see jineng.cli); this process
# runs the CLI's path in-process, so it does the same before its own first import of Polars.
os.environ.setdefault("_RJEM_MALLOC_CONF", AUDIT_MALLOC_CONF)

import online_data
import polars as pl

GOAL = 5_000_000  # events per second, end to end
DATA = Path(__file__).resolve().parent / ".data"


def say(message: str) -> None:
    print(message, flush=True)


def cli(*argv: str) -> float:
    from jineng.cli import main

    started = time.perf_counter()
    code = main(list(argv))
    elapsed = time.perf_counter() - started
    if code != 0:
        raise SystemExit(f"jineng {' '.join(argv)} exited {code}")
    return elapsed


def profile(paths: dict[str, Path], out: Path) -> None:
    """Where the time goes: each step of the CLI path on its own, the engine's steps inside."""
    from jineng.online.engine import OnlineParams, audit_frame
    from jineng.online.events import read_courses, read_events, read_platforms
    from jineng.online.report import render_json
    from jineng.policy.loader import policies

    steps: dict[str, float] = {}

    def timed(name: str, fn):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        value = fn()
        steps[name] = time.perf_counter() - started
        return value

    courses = read_courses(paths["courses"])
    platforms = read_platforms(paths["platforms"])
    raw = timed("read Parquet", lambda: pl.read_parquet(paths["parquet"]))
    events = timed("read + validate (read_events)", lambda: read_events(paths["parquet"], event_enum=True))
    params = OnlineParams.from_policy(policies().policies[0].parameters_on(policies().policies[0].start))
    inner: dict[str, float] = {}
    outcome = timed(
        "audit_frame",
        lambda: audit_frame(events, params=params, courses=courses, platforms=platforms, profile=inner),
    )
    text = timed("render JSON", lambda: render_json(outcome))
    timed("write file", lambda: out.write_text(text, encoding="utf-8"))
    say(f"  profile ({raw.height:,} rows; each step once, after the runs above):")
    for name, seconds in steps.items():
        say(f"    {name:<34} {seconds * 1000:8.0f} ms")
        if name == "audit_frame":
            for inner_name, inner_seconds in inner.items():
                say(f"      {inner_name:<32} {inner_seconds * 1000:8.0f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--events", type=int, default=10_000_000, help="events to generate: at least so many rows (default 10,000,000)"
    )
    parser.add_argument("--runs", type=int, default=3, help="end-to-end runs on the Parquet file (default 3)")
    parser.add_argument("--sample", type=int, default=200_000, help="events of the reference comparison")
    parser.add_argument("--profile", action="store_true", help="always print the per-step breakdown")
    args = parser.parse_args()
    os.environ.pop("POLARS_MAX_THREADS", None)  # (only effective before Polars starts; checked below)

    started = time.perf_counter()
    paths = online_data.write(args.events, DATA)
    if time.perf_counter() - started > 1:
        say(f"== generated {paths['parquet'].name} and .csv in {time.perf_counter() - started:.0f} s")
    meta = pl.scan_parquet(paths["parquet"]).select(pl.len(), pl.col("learner").n_unique()).collect().row(0)
    rows, learners = meta
    size = paths["parquet"].stat().st_size / 1e6
    say(
        f"online-audit benchmark: {rows:,} events ({learners:,} learners, Parquet {size:.0f} MB); "
        f"Polars {pl.__version__} on {pl.thread_pool_size()} threads, {os.cpu_count()} CPUs; "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    options = ["--courses", str(paths["courses"]), "--platforms", str(paths["platforms"])]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "results.json"
        before = cpu_seconds()
        seconds = [cli("audit-online", str(paths["parquet"]), *options, "--out", str(out)) for _ in range(args.runs)]
        after = cpu_seconds()
        results = out.stat().st_size / 1e6
        csv_seconds = cli("audit-online", str(paths["csv"]), *options, "--out", str(out))
        median = statistics.median(seconds)
        say(
            "  end to end, Parquet → results.json: "
            + ", ".join(f"{s:.2f} s" for s in seconds)
            + f"  → median {median:.2f} s = {rows / median / 1e6:.2f} M events/s  (results file {results:.0f} MB)"
        )
        if before and after:
            ours, elsewhere = (after[0] - before[0]) / sum(seconds), max(0.0, after[1] - before[1]) / sum(seconds)
            say(f"  CPUs busy during those runs: {ours:.2f} by this process, {elsewhere:.2f} by others")
        say(f"  end to end, CSV → results.json:     {csv_seconds:.2f} s = {rows / csv_seconds / 1e6:.2f} M events/s")
        ratio(paths, args.sample)
        passed = rows / median >= GOAL
        if args.profile or not passed:
            profile(paths, out)
    say(
        f"  {'PASS' if passed else 'FAIL'}: {rows / median / 1e6:.2f} M events/s end to end "
        f"vs goal {GOAL / 1e6:.0f} M events/s"
    )
    return 0 if passed else 1


def cpu_seconds() -> tuple[float, float] | None:
    """CPU seconds used so far by this process and by everything else on the machine (Linux), so a
    run can be told quiet or not: the benchmark wants both CPUs to itself."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    except OSError:
        return None
    # user nice system idle iowait irq softirq steal guest guest_nice: guest time is counted in user already
    busy = sum(int(v) for i, v in enumerate(fields[:8]) if i not in (3, 4)) / os.sysconf("SC_CLK_TCK")
    usage = resource.getrusage(resource.RUSAGE_SELF)
    ours = usage.ru_utime + usage.ru_stime
    return ours, busy - ours


def ratio(paths: dict[str, Path], sample: int) -> None:
    """The engine against reference.py on whole learners adding up to about `sample` events."""
    from jineng.online.engine import OnlineParams, audit_frame, results_as_dicts
    from jineng.online.events import read_courses, read_events, read_platforms
    from jineng.online.reference import audit_reference
    from jineng.policy.loader import policies

    events = read_events(paths["parquet"])
    counts = events.group_by("learner").len().sort("learner")
    chosen = counts.filter(pl.col("len").cum_sum() <= sample).get_column("learner")
    part = events.filter(pl.col("learner").is_in(chosen.implode()))
    policy = policies().policies[0]
    params = OnlineParams.from_policy(policy.parameters_on(policy.start))
    courses, platforms = read_courses(paths["courses"]), read_platforms(paths["platforms"])
    started = time.perf_counter()
    fast = audit_frame(part, params=params, courses=courses, platforms=platforms)
    engine_s = time.perf_counter() - started
    started = time.perf_counter()
    slow = audit_reference(part.iter_rows(named=True), params=params, courses=courses, platforms=platforms)
    reference_s = time.perf_counter() - started
    same = results_as_dicts(fast) == results_as_dicts(slow)
    recognised = fast.results.get_column("recognised").sum()
    say(
        f"  sample of {part.height:,} events ({len(chosen):,} learners, {recognised}/{fast.results.height} results "
        f"recognised): engine {engine_s * 1000:.0f} ms, reference.py {reference_s:.1f} s → "
        f"ratio {reference_s / engine_s:.0f}×; identical results: {'yes' if same else 'NO'}"
    )
    if not same:
        raise SystemExit("the engine and the reference disagree on the sample")


if __name__ == "__main__":
    sys.exit(main())
