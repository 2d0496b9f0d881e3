from django.db import migrations

from beneficiaries.seed import seed_banks


def seed(apps, schema_editor):
    seed_banks(apps.get_model("beneficiaries", "Bank"))


class Migration(migrations.Migration):
    dependencies = [("beneficiaries", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
