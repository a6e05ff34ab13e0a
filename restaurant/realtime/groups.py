"""Channel-layer group names, always built on the server from ids (never from client text).

A restaurant is a boundary: every group of staff or of the menu names its restaurant, so an
event of one restaurant has no way to reach another's sockets. Tables and users have ids
unique across restaurants."""


def kitchen_group(restaurant_id: int) -> str:
    """The restaurant's kitchen display and staff floor sockets: orders, floor nudges."""
    return f"kitchen.{int(restaurant_id)}"


def menu_group(restaurant_id: int) -> str:
    """Every open menu of the restaurant: its tables' sockets and its staff sockets."""
    return f"menu.{int(restaurant_id)}"


def calls_group(restaurant_id: int) -> str:
    """Waiter calls for the restaurant's staff: its floor sockets always, its kitchen
    display's only where it shows calls there (`Restaurant.calls_on_kitchen`)."""
    return f"calls.{int(restaurant_id)}"


def table_group(table_id: int) -> str:
    return f"table.{int(table_id)}"


def staff_user_group(user_id: int) -> str:
    """A staff user's sockets: told when the user's access changes (restaurant/venues/access.py)."""
    return f"staff.{int(user_id)}"
