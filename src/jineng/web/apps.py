from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "jineng.web"
    verbose_name = "页面框架"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the deployment checks)
