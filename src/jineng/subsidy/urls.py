"""/subsidy/…: claim pages, finance's batches and the downloads (the JSON API lives under /api/v1/)."""

from django.urls import path

from . import views

app_name = "subsidy"

urlpatterns = [
    path("", views.claims_index, name="list"),
    path("new/<int:class_id>/", views.claim_new, name="new"),
    path("finance/", views.finance_index, name="finance"),
    path("finance/push/", views.finance_push, name="push"),
    path("finance/<int:pk>/", views.batch_detail, name="batch"),
    path("finance/<int:pk>/sign/", views.batch_sign_view, name="batch-sign"),
    path("<int:pk>/", views.claim_detail, name="detail"),
    path("<int:pk>/edit/", views.claim_edit, name="edit"),
    path("<int:pk>/recompute/", views.claim_recompute_view, name="recompute"),
    path("<int:pk>/submit/", views.claim_submit_view, name="submit"),
    path("<int:pk>/review/", views.claim_review_view, name="review"),
    path("<int:pk>/publish/", views.claim_publish_view, name="publish"),
    path("<int:pk>/objections/", views.objection_new, name="objection"),
    path("<int:pk>/objections/<int:objection_id>/resolve/", views.objection_done, name="objection-resolve"),
    path("<int:pk>/finance-return/", views.claim_return_view, name="finance-return"),
    path("<int:pk>/disburse/", views.claim_disburse_view, name="disburse"),
    path("<int:pk>/payments/<int:payment_id>/clawback/", views.payment_clawback_view, name="clawback"),
    path("<int:pk>/clawback/", views.payment_clawback_view, name="clawback-any"),
    path("<int:pk>/lines.xlsx", views.claim_lines_xlsx, name="lines-xlsx"),
    path("<int:pk>/annex3.<str:fmt>", views.claim_annex3, name="annex3"),
]
