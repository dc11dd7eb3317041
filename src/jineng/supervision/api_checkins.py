"""Face check-in API: devices push with their own key; offline batches are imported by the institution."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["人脸签到"])
