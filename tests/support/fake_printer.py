"""The fake kitchen printer for tests (restaurant/printing/fake.py: `serve` runs the same one
beside the demo), and a round of two stations to print."""

from restaurant.dining.models import DiningSession
from restaurant.kitchen.models import Order
from restaurant.printing.fake import FakePrinter
from restaurant.printing.services import printer_set
from restaurant.venues.models import Station
from tests.dining.helpers import apply, arrive

__all__ = ["FakePrinter", "chicken", "printers_point", "rice", "round_submit", "stations_make"]


def stations_make(menu) -> tuple[Station, Station]:
    """Two stations of ``menu``'s restaurant (tests/factories.py): the wok makes 热菜 (宫保鸡丁),
    the rice station 主食 (米饭)."""
    wok = Station.objects.create(restaurant=menu.restaurant, code="wok", name="热菜",
                                 name_en="Hot wok", sort_order=1)  # fmt: skip
    rice = Station.objects.create(restaurant=menu.restaurant, code="rice", name="主食",
                                  sort_order=2)  # fmt: skip
    menu.chicken.category.station = wok
    menu.chicken.category.save()
    menu.rice.category.station = rice
    menu.rice.category.save()
    return wok, rice


def printers_point(restaurant=None, **urls) -> None:
    """``printers_point(wok=fake.url, ...)``: station code → printer address (of
    ``restaurant``'s stations, where there are several restaurants)."""
    stations = Station.objects.filter(restaurant=restaurant) if restaurant else Station.objects
    for code, url in urls.items():
        printer_set(station=stations.get(code=code), url=url)


def round_submit(menu, *lines: dict, table=None) -> Order:
    """A diner at ``table`` (``menu.table``) sends ``lines`` (cart.add fields) as a round."""
    diner = arrive(table or menu.table)
    for n, line in enumerate(lines):
        apply(diner, {"type": "cart.add", "id": f"add-{n}", **line})
    session = DiningSession.objects.get(pk=diner.session_id)
    apply(diner, {"type": "order.submit", "id": f"submit-{session.seq}", "seq": session.seq})
    return Order.objects.filter(session=session).latest("round")


def chicken(menu, qty: int = 2, note: str = "少盐（不要葱）") -> dict:
    return {"dish_id": menu.chicken.pk, "qty": qty, "options": [menu.mild.pk, menu.peanuts.pk],
            "note": note}  # fmt: skip


def rice(menu, qty: int = 3) -> dict:
    return {"dish_id": menu.rice.pk, "qty": qty}
