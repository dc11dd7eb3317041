from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "jineng.registry"
    verbose_name = "目录（机构、职业、人员）"
