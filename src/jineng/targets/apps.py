from django.apps import AppConfig


class TargetsConfig(AppConfig):
    name = "jineng.targets"
    verbose_name = "目标任务与通报"
