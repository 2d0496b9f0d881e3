"""Small admin building blocks every app's ``admin.py`` shares (like :mod:`progresonet.forms`
for form fields): no app's models, only Django's admin.
"""

from django.contrib import admin, messages
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


class ReadOnlyTabularInline(ReadOnlyMixin, admin.TabularInline):
    """Rows staff read on their parent's page (a posting's lines, an order's events), in the
    table that scrolls sideways on a phone and can be scrolled with the keyboard too."""

    template = "admin/edit_inline/tabular_scroll.html"
    extra = 0
    can_delete = False


class ValueListFilter(admin.SimpleListFilter):
    """A list filter on the field named ``parameter_name``, offering the values ``lookups``
    names (known in code, not a DISTINCT over the whole table on every list page)."""

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(**{self.parameter_name: self.value()})
        return queryset


class RefusableSaveMixin:
    """An admin whose ``save_model`` calls a service that may refuse.

    On a refusal ``save_model`` calls :meth:`save_refused` (the reason shown, ``obj._refused``
    set) and returns with nothing written; then no "added"/"changed" log entry is made and
    staff go back to the form instead of to an object that was not saved.
    """

    def save_refused(self, request, obj, message: str) -> None:
        """What ``save_model`` does on a refusal, before it returns: show ``message`` and mark
        ``obj`` as not saved."""
        messages.error(request, message)
        obj._refused = True

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


class ServiceCheckedForm:
    """A staff ModelForm whose rules live in a service: ``clean`` runs ``service_check`` over
    the form's ``Meta.fields`` once each is filled and valid, and shows a ``service_refusal``
    (which carries ``field`` and ``message``) on that field, so staff see the service's words
    before saving. The database's constraints are checked when the service writes, not here.
    """

    service_check = None  # staticmethod(the service's check), keyword arguments = Meta.fields
    service_refusal: type[Exception] = Exception

    def clean(self):
        data = super().clean()
        names = list(self._meta.fields)
        if all(data.get(name) is not None for name in names) and not self.errors:
            try:
                self.service_check(**{name: data[name] for name in names})
            except self.service_refusal as exc:
                self.add_error(exc.field, exc.message)
        return data

    def validate_constraints(self):
        return
