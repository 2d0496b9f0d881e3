from django.urls import path

from . import views

app_name = "ledger"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("<int:account_id>/", views.account_detail, name="account_detail"),
    path(
        "<int:account_id>/extracto.csv", views.account_statement_csv, name="account_statement_csv"
    ),
    path(
        "<int:account_id>/extracto.pdf", views.account_statement_pdf, name="account_statement_pdf"
    ),
]
