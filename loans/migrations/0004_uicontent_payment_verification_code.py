"""A verification code on every loan payment's receipt (issue 14): added empty, filled with a
random code per existing row, then made unique and required."""

import secrets

from django.db import migrations, models

import loans.models


def fill(apps, schema_editor):
    LoanPayment = apps.get_model("loans", "LoanPayment")
    for payment in LoanPayment.objects.filter(verification_code__isnull=True).only("pk"):
        LoanPayment.objects.filter(pk=payment.pk).update(
            verification_code=secrets.token_hex(6).upper()
        )


class Migration(migrations.Migration):
    dependencies = [("loans", "0003_staffmoney_rate_ceilings")]

    operations = [
        migrations.AddField(
            model_name="loanpayment",
            name="verification_code",
            field=models.CharField(max_length=16, null=True, editable=False),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="loanpayment",
            name="verification_code",
            field=models.CharField(
                default=loans.models.new_verification_code,
                editable=False,
                max_length=16,
                unique=True,
                verbose_name="verification code",
            ),
        ),
    ]
