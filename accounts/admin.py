from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import Member, User


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    list_display = ("document_number", "document_type", "__str__", "kind", "email")
    list_filter = ("kind", "document_type")
    search_fields = ("document_number", "first_names", "last_names", "business_name", "email")


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "member", "email", "is_active", "is_staff", "last_login")
    list_select_related = ("member",)
    raw_id_fields = ("member",)
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (_("Cooperative"), {"fields": ("member",)}),
    )
