"""Online-learning API: platforms push event batches with their own key; results per learner × course."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["线上学习"])
