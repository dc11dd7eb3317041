from django.apps import AppConfig


class OnlineConfig(AppConfig):
    name = "jineng.online"
    verbose_name = "线上培训审核"
