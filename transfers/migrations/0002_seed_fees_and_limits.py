from django.db import migrations

from transfers.seed import seed_transfer_reference


def seed(apps, schema_editor):
    seed_transfer_reference(
        apps.get_model("transfers", "FeeBand"), apps.get_model("transfers", "DailyLimit")
    )


class Migration(migrations.Migration):
    dependencies = [("transfers", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
