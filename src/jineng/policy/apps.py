from django.apps import AppConfig


class PolicyConfig(AppConfig):
    name = "jineng.policy"
    label = "policy"
    verbose_name = "政策与规则"
