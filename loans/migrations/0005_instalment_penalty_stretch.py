"""Exact penalty accrual over stretches (loans.calc, "Penalty"): each instalment keeps the day
its current stretch of constant unpaid principal and rate starts after, and the penalty accrued
before it times 360. Existing instalments start their stretch at the last day accrued, from
the accrual stored (its nightly drift, at most half a millionth a night, stays: it is already
in the figure; only the days from now on are exact)."""

from decimal import Decimal

from django.db import migrations, models


def start_stretches(apps, schema_editor):
    Instalment = apps.get_model("loans", "Instalment")
    # A 6-decimal accrual times 360 is exact in the 8-decimal field.
    Instalment.objects.filter(penalty_accrued_through__isnull=False).update(
        penalty_base_360=models.F("penalty_accrued") * 360,
        penalty_stretch_from=models.F("penalty_accrued_through"),
    )


class Migration(migrations.Migration):
    dependencies = [("loans", "0004_uicontent_payment_verification_code")]

    operations = [
        migrations.AddField(
            model_name="instalment",
            name="penalty_base_360",
            field=models.DecimalField(
                decimal_places=8, default=Decimal("0.00"), editable=False, max_digits=28
            ),
        ),
        migrations.AddField(
            model_name="instalment",
            name="penalty_stretch_from",
            field=models.DateField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(start_stretches, migrations.RunPython.noop),
    ]
