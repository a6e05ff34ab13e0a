"""Channel-layer group names, always built on the server from ids (never from client text)."""

KITCHEN = "kitchen"
MENU = "menu"


def table_group(table_id: int) -> str:
    return f"table.{int(table_id)}"
