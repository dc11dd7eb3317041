from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "jineng.accounts"
    verbose_name = "账号与角色"

    def ready(self) -> None:
        from . import security  # noqa: F401 — connects the login, logout and user-disabled receivers
