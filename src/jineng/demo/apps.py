from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "jineng.demo"
    verbose_name = "演示数据"
