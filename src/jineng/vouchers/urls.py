"""/vouchers/…: the voucher pages (the JSON API lives under /api/v1/vouchers)."""

from django.urls import path

from . import views

app_name = "vouchers"

urlpatterns = [
    path("", views.vouchers_index, name="list"),
    path("mine/", views.my_vouchers, name="mine"),
    path("issue/", views.issue, name="issue"),
    path("issue/template.xlsx", views.list_template, name="template"),
    path("redeem/", views.redeem, name="redeem"),
    path("<int:pk>/cancel/", views.cancel, name="cancel"),
]
