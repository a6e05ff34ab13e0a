from restaurant.tables.guard import record_miss
from restaurant.tables.models import Table


def table_by_token(token: str, *, address: str | None = None) -> Table | None:
    """The one access check for a table link: an unknown or rotated token finds nothing, and
    the miss is counted against ``address`` (restaurant/tables/guard.py). A real token is
    found whoever asks: diners share their restaurant's address with whoever guesses."""
    table = None
    if isinstance(token, str) and 16 <= len(token) <= 64:
        table = Table.objects.filter(token=token).first()
    if table is None:
        record_miss(address)
    return table


def table_by_number(*, restaurant, number: int) -> Table | None:
    """Table ``number`` of ``restaurant`` (numbers are each restaurant's own, never global)."""
    table = Table.objects.filter(restaurant=restaurant, number=number).first()
    if table is not None:
        table.restaurant = restaurant  # known already: no query for it
    return table
