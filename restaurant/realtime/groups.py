"""Channel-layer group names, always built on the server from ids (never from client text)."""

KITCHEN = "kitchen"
MENU = "menu"
# Waiter calls for staff: the floor's sockets always, the kitchen display's only where the
# restaurant shows calls there (`Restaurant.calls_on_kitchen`).
CALLS = "calls"


def table_group(table_id: int) -> str:
    return f"table.{int(table_id)}"


def staff_user_group(user_id: int) -> str:
    """A staff user's sockets: told when the user's access changes (restaurant/core/access.py)."""
    return f"staff.{int(user_id)}"
