from __future__ import annotations

from django.apps import AppConfig


class PlanConfig(AppConfig):
    name = "jineng.plan"
    label = "plan"
    verbose_name = "目标任务计划"
