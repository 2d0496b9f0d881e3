"""Small admin building blocks every app's ``admin.py`` shares (like :mod:`progresonet.forms`
for form fields): no app's models, only Django's admin.
"""

from django.http import HttpResponseRedirect


class ReadOnlyMixin:
    """Staff look, never write: no add, change or delete (for a ModelAdmin or an inline).
    Money and records change only through the apps' services."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class RefusableSaveMixin:
    """An admin whose ``save_model`` calls a service that may refuse.

    On a refusal ``save_model`` shows the reason (``messages.error``), sets ``obj._refused``
    and returns with nothing written; then no "added"/"changed" log entry is made and staff go
    back to the form instead of to an object that was not saved.
    """

    def log_addition(self, request, obj, message):
        if not getattr(obj, "_refused", False):
            super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        if not getattr(obj, "_refused", False):
            super().log_change(request, obj, message)

    def response_add(self, request, obj, post_url_continue=None):
        if getattr(obj, "_refused", False):
            return HttpResponseRedirect(request.get_full_path())
        return super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        if getattr(obj, "_refused", False):
            return HttpResponseRedirect(request.get_full_path())
        return super().response_change(request, obj)
