"""Print the README's table of roles from `restaurant.venues.roles` (the one permission table).

    .venv/bin/python scripts/role_table.py

tests/site/test_docs.py checks that README.md carries exactly this table, so a change to the
permissions that is not in the README fails the build.
"""

import os
import sys
from pathlib import Path

# What each action is, for people. Every action of `Action` has a line (the test checks).
WORDS = {
    "kitchen.view": "the kitchen display and its served-today list",
    "order.advance": "move an order, or a dish, on: accepted → preparing → ready",
    "order.serve": "mark an order, or a dish, served",
    "order.accept": "let a held first round through to the kitchen",
    "order.recall": "take back an order's or a dish's last move: the undo bar",
    "order.cancel": "cancel an order (the table is told why)",
    "dish.sold_out": "mark a dish sold out, or back",
    "item.void": "take a sent dish back (退菜), saying why",
    "item.comp": "give a sent dish free (赠菜), saying why",
    "adjust.approve": "approve or refuse a waiter's void or comp (where the restaurant asks)",
    "order.for_table": "order for a table on its shared cart (代客下单)",
    "table.move": "move a meal to another table, join two tables' meals, split a join back",
    "meal.edit": "a meal's guest count and its note to the kitchen",
    "ordering.pause": "pause ordering: the whole menu or a category",
    "check.split": "at the till: who pays for a dish, a dish shared between diners",
    "check.discount": "a discount on a dish or the check, with a reason",
    "payment.record": "record a payment: cash with change, card, WeChat Pay, Alipay, other",
    "payment.refund": "refund a payment, with a reason",
    "check.close_unpaid": "close a table with money still owed, saying why",
    "receipt.print": "print the check or the receipt on the cashier's printer",
    "report.view": "the night's report (日结) and its CSV and XLSX exports",
    "day.close": "close a business day: nothing of it can change after",
    "ticket.reprint": "reprint a station's ticket; settle one that may have printed",
    "floor.view": "the staff floor: every table live",
    "table.open": "open a table",
    "table.close": "close a table (its bill, an unsent cart)",
    "table.bill": "read a table's bill",
    "call.handle": "mark a waiter call seen, then done",
    "table.rotate": "rotate a table's QR code (the printed one stops working)",
    "table.qr": "print QR codes, the QR sheet",
    "menu.edit": "edit the menu in the admin",
    "staff.manage": "staff and devices in the admin, pairing links",
    "restaurant.settings": "the restaurant's settings in the admin",
}

BEGIN = "<!-- role table: scripts/role_table.py -->"
END = "<!-- end of role table -->"


def markdown() -> str:
    from restaurant.venues.models import StaffMember
    from restaurant.venues.roles import CONDITIONAL, PERMISSIONS

    roles = list(StaffMember.Role)
    lines = [
        "| action | " + " | ".join(role.value for role in roles) + " |",
        "|---|" + "---|" * len(roles),
    ]
    for action, allowed in PERMISSIONS.items():
        cells = []
        for role in roles:
            if role in allowed:
                cells.append("✓")
            elif (action, role) in CONDITIONAL:
                cells.append("if calls on kitchen")
            else:
                cells.append("")
        lines.append(f"| {WORDS[action.value]} (`{action.value}`) | " + " | ".join(cells) + " |")
    return "\n".join([BEGIN, *lines, END])


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    print(markdown())
