from django.urls import path

from . import views

app_name = "beneficiaries"

urlpatterns = [
    path("", views.product_list, name="list"),
    path("agregar/", views.add_kind, name="add"),
    path("agregar/socio/", views.add_member, name="add_member"),
    path("agregar/socio/buscar/", views.lookup_json, name="lookup"),
    path("agregar/otro-banco/", views.add_other_bank, name="add_other_bank"),
    path("agregar/firma/", views.sign, name="sign"),
    path("<int:pk>/editar/", views.edit, name="edit"),
    path("<int:pk>/eliminar/", views.delete, name="delete"),
]
