from django.urls import path

from . import views

app_name = "notices"

urlpatterns = [
    path("", views.notice_list, name="list"),
    path("marcar-leidas/", views.notice_mark_read, name="mark_read"),
    path("preferencias/", views.notice_preferences, name="preferences"),
]
