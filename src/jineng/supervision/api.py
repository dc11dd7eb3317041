"""Supervision API: timetable, attendance, make-up, video, inspections, survey, eligibility."""

from __future__ import annotations

from ninja import Router

from jineng.accounts.auth import AUTH

router = Router(tags=["过程监管"], auth=AUTH)
