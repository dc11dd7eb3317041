from django.apps import AppConfig


class SubsidyConfig(AppConfig):
    name = "jineng.subsidy"
    verbose_name = "补贴资金"
