from restaurant.tables.models import Table


def table_by_token(token: str) -> Table | None:
    """The one access check for a table link: an unknown or rotated token finds nothing."""
    if not isinstance(token, str) or not 16 <= len(token) <= 64:
        return None
    return Table.objects.filter(token=token).first()
