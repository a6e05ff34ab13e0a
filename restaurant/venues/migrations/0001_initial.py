# The restaurant moves from the menu app to its own (restaurant/venues): a change of the
# model's state only; its table is renamed in 0002.

from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("menu", "0004_dish_photo"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Restaurant",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("name", models.CharField(default="RestaurantOrder", max_length=80)),
                        ("name_en", models.CharField(blank=True, max_length=80)),
                        ("currency", models.CharField(default="CNY", max_length=3)),
                        ("staff_opens_tables", models.BooleanField(default=False, help_text="When on, a table's dining session opens only when staff open the table.")),
                        ("menu_version", models.PositiveIntegerField(default=1)),
                        ("hold_first_round", models.BooleanField(default=True, help_text="When on, the first round of a meal that a diner's scan opened (not staff) waits for staff to accept it before the kitchen starts on it.")),
                        ("idle_close_minutes", models.PositiveIntegerField(default=30, help_text="A meal with no one online and nothing ordered ends by itself after this many minutes without activity (a diner online, a cart change). 0: never.")),
                        ("calls_on_kitchen", models.BooleanField(default=False, help_text="When on, waiter calls show on the kitchen display too, not only on the floor.")),
                    ],
                    options={"db_table": "menu_restaurant"},
                ),
            ],
            database_operations=[],
        ),
    ]
