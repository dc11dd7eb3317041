"""VCH-* rules (RULES.md section G, 二(四)): 实名制、不得转让、以证换券、无证无价.

Pure functions over the facts the caller gathers (holder, enrollee, dates, certificate).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ..findings import Finding, finding
from ..parameters import Parameters


def voucher_expiry(*, p: Parameters, issued_on: dt.date) -> dt.date:
    """The last day a voucher issued on `issued_on` may be redeemed (`voucher_valid_days` days)."""
    return issued_on + dt.timedelta(days=p.voucher_valid_days - 1)


def vch_real_name(*, code: str, holder_id: int, enrollee_id: int) -> Finding | None:
    """VCH-REAL-NAME: a voucher is used only by its holder (not transferable)."""
    if holder_id == enrollee_id:
        return None
    return finding(
        "VCH-REAL-NAME",
        f"voucher:{code}",
        f"培训券 {code} 实名发放、不得转让：持券人与报名学员不是同一人，不能使用",
        holder=holder_id,
        enrollee=enrollee_id,
    )


def vch_cert_value(*, code: str, has_certificate: bool, standard: Decimal) -> tuple[Decimal | None, Finding | None]:
    """VCH-CERT-VALUE: 以证换券、无证无价 — the voucher's money value is the subsidy standard of the
    certificate, and nothing until the holder has one."""
    if has_certificate:
        return standard, None
    return None, finding(
        "VCH-CERT-VALUE",
        f"voucher:{code}",
        f"培训券 {code} 以证换券、无证无价：持券人尚未取得证书，培训券无兑现金额",
        code=code,
    )


def vch_target(*, p: Parameters, issued: int, used: int) -> Finding:
    """VCH-TARGET (an indicator): issued and effectively used (valued with a certificate) in the year."""
    ok = issued >= p.vouchers_issued_target and used >= p.vouchers_used_target
    return finding(
        "VCH-TARGET",
        "city",
        f"全年累计发放职业培训券 {issued:,} 张（目标 {p.vouchers_issued_target:,} 张），"
        f"有效使用 {used:,} 张（目标 {p.vouchers_used_target:,} 张以上）" + ("，已完成" if ok else "，未完成"),
        issued=issued,
        used=used,
        issued_target=p.vouchers_issued_target,
        used_target=p.vouchers_used_target,
        met=ok,
    )
