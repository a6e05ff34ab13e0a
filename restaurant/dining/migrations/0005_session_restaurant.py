# A meal carries its table's restaurant, for scoped queries.

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def assign(apps, schema_editor):
    Table = apps.get_model("tables", "Table")
    DiningSession = apps.get_model("dining", "DiningSession")
    DiningSession.objects.update(
        restaurant_id=Subquery(Table.objects.filter(pk=OuterRef("table_id")).values("restaurant_id")[:1])
    )


class Migration(migrations.Migration):

    dependencies = [
        ("dining", "0004_session_opened_by_staff_last_active"),
        ("tables", "0002_tables_per_restaurant"),
    ]

    operations = [
        migrations.AddField(
            model_name="diningsession",
            name="restaurant",
            field=models.ForeignKey(editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="venues.restaurant"),
        ),
        migrations.RunPython(assign, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="diningsession",
            name="restaurant",
            field=models.ForeignKey(editable=False, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="venues.restaurant"),
        ),
    ]
