from django.urls import path

from . import personal_views, views
from .registration import views as registration_views
from .registration.wizard import RegistrationWizard

app_name = "accounts"

urlpatterns = [
    path("ingresar/", views.LoginView.as_view(), name="login"),
    path("salir/", views.LogoutView.as_view(), name="logout"),
    path("sesion-expirada/", views.session_expired, name="session_expired"),
    path("sesion/mantener/", views.keepalive, name="keepalive"),
    path("configuracion/", personal_views.settings_view, name="settings"),
    path("configuracion/contrasena/", personal_views.password_change_view, name="password_change"),
    path("configuracion/pin/", personal_views.pin_change_view, name="pin_change"),
    path("configuracion/pin/olvido/", personal_views.pin_reset_view, name="pin_reset"),
    path("configuracion/dispositivo/", personal_views.device_change_view, name="device_change"),
    path("configuracion/datos/", personal_views.profile_change_view, name="profile_change"),
    path(
        "configuracion/correo/<str:token>/",
        personal_views.email_confirm_view,
        name="email_confirm",
    ),
    path("configuracion/sms/", personal_views.sms_token_view, name="sms_token"),
    path(
        "configuracion/sesiones/<int:pk>/cerrar/",
        personal_views.session_close_view,
        name="session_close",
    ),
    path("registro/", RegistrationWizard.as_view(), name="registration"),
    path("registro/enviado/", registration_views.submitted, name="registration_submitted"),
    path(
        "registro/confirmar/<str:uid>/<str:token>/",
        registration_views.confirm_email,
        name="registration_confirm",
    ),
    path(
        "registro/contrasena/<str:uid>/<str:token>/",
        registration_views.set_password,
        name="password_set",
    ),
]
