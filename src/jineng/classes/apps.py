from django.apps import AppConfig


class ClassesConfig(AppConfig):
    name = "jineng.classes"
    verbose_name = "开班申请与审核"
