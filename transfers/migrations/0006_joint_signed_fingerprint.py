from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("transfers", "0005_loans_interbank"),
    ]

    operations = [
        migrations.AddField(
            model_name="transfer",
            name="signed_fingerprint",
            field=models.CharField(blank=True, max_length=64, verbose_name="signed fingerprint"),
        ),
    ]
