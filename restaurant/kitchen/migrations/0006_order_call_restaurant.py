# Orders and waiter calls carry their restaurant: the kitchen's and the floor's queries are
# scoped by it.

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def assign(apps, schema_editor):
    Table = apps.get_model("tables", "Table")
    DiningSession = apps.get_model("dining", "DiningSession")
    Order = apps.get_model("kitchen", "Order")
    WaiterCall = apps.get_model("kitchen", "WaiterCall")
    Order.objects.update(
        restaurant_id=Subquery(
            DiningSession.objects.filter(pk=OuterRef("session_id")).values("restaurant_id")[:1]
        )
    )
    WaiterCall.objects.update(
        restaurant_id=Subquery(Table.objects.filter(pk=OuterRef("table_id")).values("restaurant_id")[:1])
    )


class Migration(migrations.Migration):

    dependencies = [
        ("kitchen", "0005_order_cancel_reason"),
        ("dining", "0005_session_restaurant"),
    ]

    operations = [
        migrations.AddField(
            model_name="order",
            name="restaurant",
            field=models.ForeignKey(editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="venues.restaurant"),
        ),
        migrations.AddField(
            model_name="waitercall",
            name="restaurant",
            field=models.ForeignKey(editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="venues.restaurant"),
        ),
        migrations.RunPython(assign, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="order",
            name="restaurant",
            field=models.ForeignKey(editable=False, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="venues.restaurant"),
        ),
        migrations.AlterField(
            model_name="waitercall",
            name="restaurant",
            field=models.ForeignKey(editable=False, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="venues.restaurant"),
        ),
    ]
