from django.urls import path

from . import views

app_name = "loans"

urlpatterns = [
    path("", views.loan_list, name="list"),
    path("deudas/", views.debts, name="debts"),
    path("<int:loan_id>/", views.loan_detail, name="detail"),
    path("<int:loan_id>/extracto.csv", views.statement_csv, name="statement_csv"),
    path("<int:loan_id>/extracto.pdf", views.statement_pdf, name="statement_pdf"),
    path("<int:loan_id>/pagar/", views.pay, name="pay"),
    path("<int:loan_id>/pagar/confirmar/", views.pay_confirm, name="pay_confirm"),
    path("pagos/<int:payment_id>/", views.receipt, name="receipt"),
    path("pagos/<int:payment_id>/comprobante.pdf", views.receipt_pdf, name="receipt_pdf"),
]
