from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(autouse=True)
def voucher_calls(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The call into vouchers (VCH-CERT-VALUE) recorded instead of made: these tests are about
    assessment, and vouchers tests its own side."""
    calls: list[dict[str, Any]] = []

    def record(**kwargs: Any) -> int:
        calls.append(kwargs)
        return 0

    monkeypatch.setattr("jineng.vouchers.services.vouchers_value_on_certificates", record, raising=False)
    return calls
