from django.urls import path

from . import views
from .registration import views as registration_views
from .registration.wizard import RegistrationWizard

app_name = "accounts"

urlpatterns = [
    path("ingresar/", views.LoginView.as_view(), name="login"),
    path("salir/", views.LogoutView.as_view(), name="logout"),
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
