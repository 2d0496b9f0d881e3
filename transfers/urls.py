from django.urls import path

from . import scheduled_views, views, wizards

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
]
