from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The idempotent demo data (``manage.py demo_load``). Nothing at runtime imports it."""

    name = "demo"
    verbose_name = "Demo data"
