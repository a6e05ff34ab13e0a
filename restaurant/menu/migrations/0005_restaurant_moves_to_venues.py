# The restaurant now lives in restaurant/venues (its 0001 takes over this table): the menu app
# forgets the model without touching the database.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("menu", "0004_dish_photo"),
        ("venues", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="Restaurant")],
            database_operations=[],
        ),
    ]
