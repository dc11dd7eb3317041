from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "jineng.supervision"
    verbose_name = "过程监管"
