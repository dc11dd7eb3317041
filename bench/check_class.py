"""Benchmark: evaluate an 80-trainee class document (5 previous trainings each) 1,000 times.

Run: .venv/bin/python bench/check_class.py [--runs 1000]

Prints the median time per document for
  - full:     JSON bytes → strict validation → rules (what `jineng check-class` and the API do),
  - rules:    the rules alone on an already parsed document,
  - baseline: json.loads of the same bytes (the least any JSON consumer must pay),
and the ratios full/baseline and rules/baseline from the same run. Goal (issue 2): full ≤ 2 ms.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from jineng.policy.engine import evaluate
from jineng.policy.facts import parse_document
from jineng.policy.loader import policies
from jineng.policy.tests.builders import document, person, resident_id

GOAL_MS = 2.0


def bench_document() -> bytes:
    roster = []
    for i in range(80):
        history = [
            {
                "class_id": f"C-2022-{i:03d}{k}",
                "subsidised": k % 2 == 0,
                "end": f"2022-0{k + 1}-15",
                "assessed_on": f"2022-0{k + 1}-25",
            }
            for k in range(5)
        ]
        roster.append(
            person(
                i + 1,
                id_number=resident_id(i + 1, birth=f"19{90 + i % 10}0{1 + i % 9}1{i % 10}"),
                previous_trainings=history,
            )
        )
    teachers = [{"name": f"教师{i}", "certified": True} for i in range(4)]
    doc = document(trainees=roster, klass={"teachers": teachers, "workstations": 4})
    return json.dumps(doc, ensure_ascii=False).encode()


def median_ms(fn: Callable[[], Any], runs: int) -> float:
    for _ in range(min(50, runs)):  # warm caches and the interpreter
        fn()
    samples = []
    for _ in range(runs):
        started = time.perf_counter_ns()
        fn()
        samples.append(time.perf_counter_ns() - started)
    return statistics.median(samples) / 1e6


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=1000)
    args = parser.parse_args()

    raw = bench_document()
    known = policies()
    parsed = parse_document(raw, policies=known)
    policy = known.in_force(parsed.as_of)
    assert policy is not None
    result = evaluate(parsed, policy)
    assert len(parsed.trainees) == 80 and all(len(t.previous_trainings) == 5 for t in parsed.trainees)

    full = median_ms(lambda: evaluate(parse_document(raw, policies=known), policy), args.runs)
    rules = median_ms(lambda: evaluate(parsed, policy), args.runs)
    baseline = median_ms(lambda: json.loads(raw), args.runs)

    print(
        f"check-class benchmark: 80 trainees × 5 previous trainings, {len(raw):,} bytes, "
        f"{args.runs} runs, decision={result.decision}, findings={len(result.findings)}"
    )
    print(f"  full (parse + validate + rules): median {full:.3f} ms/document  (goal ≤ {GOAL_MS} ms)")
    print(f"  rules only:                      median {rules:.3f} ms/document")
    print(f"  baseline json.loads:             median {baseline:.3f} ms/document")
    print(f"  ratio full/baseline = {full / baseline:.1f}×, rules/baseline = {rules / baseline:.1f}×")
    print(f"  {'PASS' if full <= GOAL_MS else 'FAIL'}: full median {full:.3f} ms vs goal {GOAL_MS} ms")
    return 0 if full <= GOAL_MS else 1


if __name__ == "__main__":
    sys.exit(main())
