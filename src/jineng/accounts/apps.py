from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "jineng.accounts"
    verbose_name = "账号与角色"
