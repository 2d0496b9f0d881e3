from django.db import migrations

from ledger.seed import seed_ledger_reference


def seed(apps, schema_editor):
    seed_ledger_reference(apps.get_model("ledger", "Account"), apps.get_model("ledger", "ExchangeRate"))


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
