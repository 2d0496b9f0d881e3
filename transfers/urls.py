from django.urls import path

from . import scheduled_views, views, wizards
from .qr import views as qr_views
from .qr.wizard import QrTransferWizard

app_name = "transfers"

urlpatterns = [
    path("", views.transfer_list, name="list"),
    path("entre-mis-cuentas/", wizards.OwnTransferWizard.as_view(), name="own"),
    path("a-cuenta-de-terceros/", wizards.ThirdPartyTransferWizard.as_view(), name="third_party"),
    path("a-otros-bancos/", wizards.OtherBankTransferWizard.as_view(), name="other_bank"),
    path("limites/", views.limits_view, name="limits"),
    path("comprobante/<int:pk>/", views.transfer_receipt, name="receipt"),
    path("comprobante/<int:pk>/pdf/", views.transfer_receipt_pdf, name="receipt_pdf"),
    path("firma-conjunta/<int:pk>/", views.transfer_cosign_view, name="cosign"),
    path("programadas/", scheduled_views.scheduled_list, name="scheduled_list"),
    path("programadas/<int:pk>/", scheduled_views.scheduled_detail, name="scheduled_detail"),
    path(
        "programadas/<int:pk>/pausar/",
        scheduled_views.scheduled_pause_view,
        name="scheduled_pause",
    ),
    path(
        "programadas/<int:pk>/cancelar/",
        scheduled_views.scheduled_cancel_view,
        name="scheduled_cancel",
    ),
    path(
        "programadas/<int:pk>/reanudar/",
        scheduled_views.scheduled_resume_view,
        name="scheduled_resume",
    ),
    path(
        "programadas/<int:pk>/monto/",
        scheduled_views.scheduled_amend_view,
        name="scheduled_amend",
    ),
    path("cobrar-con-qr/", qr_views.qr_collect, name="qr_collect"),
    path("cobrar-con-qr/<int:pk>/", qr_views.qr_detail, name="qr_detail"),
    path("cobrar-con-qr/<int:pk>/png/", qr_views.qr_download, name="qr_png"),
    path("cobrar-con-qr/<int:pk>/revocar/", qr_views.qr_revoke, name="qr_revoke"),
    path("pagar-con-qr/", qr_views.qr_pay, name="qr_pay"),
    path("pagar-con-qr/transferencia/", QrTransferWizard.as_view(), name="qr_wizard"),
]
