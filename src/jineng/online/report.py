"""The outputs of `jineng audit-online`: JSON (the contract's object), CSV for WPS/Excel, Chinese text.

JSON and CSV are written by Polars from the results frame (a 10M-event audit has ~10⁵ results),
so that writing costs little next to the audit; `at` is ISO 8601 in +08:00 as in
`engine.results_as_dicts`, which the API uses for its smaller answers.
"""

from __future__ import annotations

import io
import json

import polars as pl

from ..ids import mask_ric
from .engine import RULE_ORDER, AuditOutcome, iso_local

LOCAL_TZ = "Asia/Shanghai"
RULE_ZH = {
    "ONL-PLATFORM": "平台未列入目录或未接入监管",
    "ONL-FAST-FORWARD": "快进",
    "ONL-MULTI-WINDOW": "多窗口学习",
    "ONL-POPUP": "弹窗未作答",
    "ONL-LIVENESS": "人脸活体比对",
    "ONL-ORDER": "未按顺序学习",
    "ONL-PHOTO": "缺少课时影像照片",
}


def at_iso(ms: pl.Expr) -> pl.Expr:
    """Epoch milliseconds as ISO 8601 with +08:00 (milliseconds shown only when there are any)."""
    local = pl.from_epoch(ms, time_unit="ms").dt.replace_time_zone("UTC").dt.convert_time_zone(LOCAL_TZ)
    return (
        pl.when(ms % 1000 == 0)
        .then(local.dt.strftime("%Y-%m-%dT%H:%M:%S%:z"))
        .otherwise(local.dt.strftime("%Y-%m-%dT%H:%M:%S%.3f%:z"))
    )


def _with_iso(results: pl.DataFrame) -> pl.DataFrame:
    finding = pl.element().struct
    return results.with_columns(
        pl.col("findings").list.eval(
            pl.struct(
                finding.field("rule"),
                finding.field("session"),
                at_iso(finding.field("at")).alias("at"),
                finding.field("message"),
            )
        )
    )


def render_json(outcome: AuditOutcome) -> str:
    """`{"learners", "courses", "events", "results": [...]}`, one result per line."""
    head = json.dumps({"learners": outcome.learners, "courses": outcome.courses, "events": outcome.events})
    buffer = io.BytesIO()
    _with_iso(outcome.results).write_ndjson(buffer)
    lines = buffer.getvalue().decode("utf-8").splitlines()
    body = "[\n" + ",\n".join(lines) + "\n]" if lines else "[]"
    return head[:-1] + ', "results": ' + body + "}\n"


def render_csv(outcome: AuditOutcome) -> bytes:
    """One row per (learner, course), findings joined; UTF-8 with a BOM so WPS and Excel read it."""
    finding = pl.element().struct
    text = pl.format(
        "{} {} 会话 {}：{}",
        finding.field("rule"),
        at_iso(finding.field("at")),
        finding.field("session"),
        finding.field("message"),
    )
    table = outcome.results.select(
        pl.col("learner").alias("学员身份证号"),
        pl.col("course").alias("课程"),
        pl.when(pl.col("recognised")).then(pl.lit("是")).otherwise(pl.lit("否")).alias("学时认定"),
        pl.col("study_minutes").alias("有效学习时长（分钟）"),
        pl.col("findings").list.eval(finding.field("rule")).list.join("；").alias("违规规则"),
        pl.col("findings").list.eval(text).list.join("；").alias("违规情况"),
    )
    buffer = io.BytesIO()
    table.write_csv(buffer, include_bom=True)
    return buffer.getvalue()


def render_text(outcome: AuditOutcome, *, policy: str = "") -> str:
    results = outcome.results
    refused = results.filter(~pl.col("recognised"))
    lines = [
        f"线上学习核查{f'（{policy}）' if policy else ''}：学员 {outcome.learners} 人，课程 {outcome.courses} 门，"
        f"学习日志 {outcome.events} 条（去重后）",
        f"学员 × 课程 共 {results.height} 项：学时认定 {results.height - refused.height} 项，"
        f"不予认定 {refused.height} 项",
    ]
    if refused.height:
        counts = refused.select(pl.col("findings").explode().struct.field("rule")).group_by("rule").len().rows()
        by_rule = dict(counts)
        lines.append(
            "违规规则（项数）："
            + "，".join(f"{rule} {RULE_ZH[rule]} {by_rule[rule]}" for rule in RULE_ORDER if rule in by_rule)
        )
    lines.append("")
    for row in results.iter_rows(named=True):
        verdict = "学时认定" if row["recognised"] else "不予认定"
        lines.append(
            f"{mask_ric(row['learner'])}  课程 {row['course']}  {verdict}  有效学习 {row['study_minutes']} 分钟"
        )
        for finding in row["findings"]:
            when = iso_local(finding["at"]).replace("T", " ").removesuffix("+08:00")
            lines.append(f"    {finding['rule']}  {when}  会话 {finding['session']}  {finding['message']}")
    return "\n".join(lines) + "\n"
