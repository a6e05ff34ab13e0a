"""Staff routes: access, CSRF, open/close/rotate reaching the diners' sockets, QR codes, and
menu changes from the admin reaching every table."""

import pytest
from channels.db import database_sync_to_async
from django.contrib.auth import get_user_model
from django.test import Client

from restaurant.dining.models import DiningSession
from restaurant.tables.models import Table
from restaurant.venues.models import Restaurant
from tests.dining.helpers import apply, arrive
from tests.dining.sockets import DinerSocket, join_table
from tests.support.people import staff_user

STAFF_GETS = ["/staff/", "/staff/api/floor/", "/kitchen/", "/staff/qr-sheet/",
              "/staff/tables/1/qr.svg"]  # fmt: skip
STAFF_POSTS = ["/staff/tables/1/open/", "/staff/tables/1/close/", "/staff/tables/1/rotate/",
               "/staff/orders/1/accept/"]  # fmt: skip


def staff_client(restaurant=None, role="manager", **kwargs) -> Client:
    """Signed in as a member of staff of ``restaurant`` (the first one) with ``role``."""
    user = staff_user(restaurant or Restaurant.objects.order_by("pk").first(), role)
    client = Client(**kwargs)
    client.force_login(user)
    return client


@pytest.mark.django_db
class TestAccess:
    @pytest.mark.parametrize("url", STAFF_GETS + STAFF_POSTS)
    def test_anonymous_and_diners_are_sent_to_login(self, menu, url):
        diner = Client()
        join_table(diner, menu.table.token)
        for client in (Client(), diner):
            response = client.post(url) if url in STAFF_POSTS else client.get(url)
            assert response.status_code == 302
            assert response["Location"].startswith("/staff/login/?next=")
        assert not Table.objects.filter(token_rotated_at__isnull=False).exists()

    def test_users_with_no_role_anywhere_are_refused(self, menu):
        user = get_user_model().objects.create_user(username="guest", password="x" * 16,
                                                    is_staff=True)  # fmt: skip
        client = Client()
        client.force_login(user)
        assert client.get("/staff/").status_code == 403  # is_staff is the admin's, not a role
        assert client.get("/r/main/staff/").status_code == 404

    @pytest.mark.parametrize("url", STAFF_POSTS)
    def test_posts_need_csrf(self, menu, url):
        client = staff_client(enforce_csrf_checks=True)
        assert client.post(url).status_code == 403

    def test_pages_and_qr(self, menu):
        client = staff_client()
        for url in STAFF_GETS:
            assert client.get(url).status_code == 200, url
        svg = client.get("/staff/tables/1/qr.svg")
        assert svg["Content-Type"] == "image/svg+xml" and b"<svg" in svg.content
        sheet = client.get("/staff/qr-sheet/").content.decode()
        for table in (menu.table, menu.other_table):
            assert f"/t/{table.token}/" in sheet
        assert client.get("/staff/tables/99/qr.svg").status_code == 404

    def test_floor_api(self, menu):
        client = staff_client()
        join_table(Client(), menu.table.token)
        tables = {t["number"]: t for t in client.get("/staff/api/floor/").json()["tables"]}
        assert tables[1]["status"] == "open" and tables[1]["diners"] == 1
        assert tables[2]["status"] == "free"


@pytest.mark.django_db
def test_staff_open_lets_diners_in(menu):
    menu.restaurant.staff_opens_tables = True
    menu.restaurant.save()
    diner = Client()
    assert "diners" not in (diner.get(f"/t/{menu.table.token}/") and diner.session)
    assert diner.post(f"/t/{menu.table.token}/join/").json()["code"] == "not_open"
    reply = staff_client().post("/staff/tables/1/open/", HTTP_ACCEPT="application/json")
    assert reply.status_code == 200 and reply.json()["ok"]
    join_table(diner, menu.table.token)
    assert diner.session["diners"]


@pytest.mark.django_db
def test_close_without_session_is_a_conflict(menu):
    reply = staff_client().post("/staff/tables/2/close/", HTTP_ACCEPT="application/json")
    assert reply.status_code == 409


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "label"), [("en", "Close table"), ("zh-hans", "清台")])
def test_the_close_button_says_close_table_not_that_the_bill_is_settled(menu, language, label):
    """Money may still be owed when the card is drawn: the button closes (the server refuses
    with what is owed), it does not say the bill was settled."""
    join_table(Client(), menu.table.token)  # table 1 open, its card with the close button
    client = staff_client(HTTP_ACCEPT_LANGUAGE=language)
    client.cookies.load({"django_language": language})
    page = client.get("/staff/").content.decode()
    button = page.split('data-action="close">', 1)[1].split("</button>", 1)[0]
    assert button == label
    assert 'id="close-confirm" disabled>' + label + "</button>" in page  # the dialog's
    assert f'"closeTable": "{label}"' in page  # the script's, for cards it draws
    assert "Bill settled" not in page and "已结账 · 清台" not in page


@pytest.mark.django_db
def test_held_rounds_show_on_the_floor_and_are_accepted_there(menu):
    from restaurant.kitchen.models import Order

    diner = arrive(menu.table)
    apply(diner, {"type": "cart.add", "id": "a", "dish_id": menu.rice.pk, "qty": 2})
    apply(diner, {"type": "order.submit", "id": "s", "seq": DiningSession.objects.get().seq})
    order = Order.objects.get()
    client = staff_client()
    tables = {t["number"]: t for t in client.get("/staff/api/floor/").json()["tables"]}
    held = {"order_id": order.pk, "round": 1, "total": 600, "items": 2,
            "at": order.created_at.isoformat()}  # fmt: skip
    assert tables[1]["held_orders"] == [held]
    assert tables[2]["held_orders"] == []
    url = f"/staff/orders/{order.pk}/accept/"
    reply = client.post(url, HTTP_ACCEPT="application/json")
    assert reply.status_code == 200
    assert reply.json() == {"ok": True, "order_id": order.pk, "status": "accepted"}
    order.refresh_from_db()
    assert order.status == "accepted" and not order.is_awaiting_confirmation
    assert order.moves.get().by_id is not None  # recorded as the kitchen's moves are
    tables = {t["number"]: t for t in client.get("/staff/api/floor/").json()["tables"]}
    assert tables[1]["held_orders"] == []
    again = client.post(url, HTTP_ACCEPT="application/json")
    assert again.status_code == 409 and again.json()["code"] == "conflict"
    assert client.post("/staff/orders/999999/accept/").status_code == 404


@pytest.mark.django_db
class TestCloseOverAnUnsentCart:
    """The close dialog said "Nothing was ordered." over 41 unsent items: closing never
    throws a cart away unless the request says so."""

    def cart(self, menu):
        a, b = arrive(menu.table), arrive(menu.table)
        apply(a, {"type": "cart.add", "id": "a1", "dish_id": menu.rice.pk, "qty": 3})
        apply(b, {"type": "cart.add", "id": "b1", "dish_id": menu.chicken.pk,
                  "options": [menu.mild.pk, menu.peanuts.pk]})  # fmt: skip
        return a, b

    def close(self, client, **form):
        return client.post("/staff/tables/1/close/", form, HTTP_ACCEPT="application/json")

    def test_refused_with_what_is_unsent(self, menu):
        a, b = self.cart(menu)
        client = staff_client()
        reply = self.close(client)
        assert reply.status_code == 409
        body = reply.json()
        assert body["ok"] is False and body["reason"] == "unsent_cart"
        unsent = body["unsent"]
        assert (unsent["count"], unsent["total"]) == (4, 3 * 300 + 3800 + 200)
        assert [(i["name"], i["qty"], i["price"], i["added_by_name"]) for i in unsent["items"]] == [
            ("米饭", 3, 300, a.name),
            ("宫保鸡丁", 1, 4000, b.name),
        ]
        assert DiningSession.objects.get().status == "open"
        # the floor's dialog shows it before anyone presses "close"
        bill = client.get("/staff/tables/1/bill/").json()
        assert bill["unsent"] == unsent and bill["orders"] == []

    def test_closes_when_told_to_discard_the_cart_as_shown(self, menu):
        a, _ = self.cart(menu)
        client = staff_client()
        shown = client.get("/staff/tables/1/bill/").json()["unsent"]["cart_seq"]
        apply(a, {"type": "cart.add", "id": "a2", "dish_id": menu.rice.pk})  # after the dialog
        stale = self.close(client, discard_cart="1", cart_seq=str(shown))
        assert stale.status_code == 409 and stale.json()["unsent"]["count"] == 5
        assert DiningSession.objects.get().status == "open"
        reply = self.close(
            client, discard_cart="1", cart_seq=str(stale.json()["unsent"]["cart_seq"])
        )
        assert reply.status_code == 200 and reply.json()["ok"]
        assert DiningSession.objects.get().status == "closed"

    def test_an_empty_cart_closes_as_before(self, menu):
        arrive(menu.table)
        assert self.close(staff_client()).status_code == 200

    def test_a_form_without_the_script_gets_a_page_that_asks(self, menu):
        self.cart(menu)
        client = staff_client()
        page = client.post("/staff/tables/1/close/")
        assert page.status_code == 409
        text = page.content.decode()
        assert "米饭" in text and 'name="discard_cart" value="1"' in text
        assert client.post("/staff/tables/1/close/", {"discard_cart": "1"}).status_code == 302
        assert DiningSession.objects.get().status == "closed"


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
class TestLive:
    async def test_close_tells_the_table_and_the_next_party_starts_clean(self, menu):
        socket = await DinerSocket.join(menu.table.token)
        await socket.op({"type": "cart.add", "dish_id": menu.rice.pk})
        client = await database_sync_to_async(staff_client)()
        response = await database_sync_to_async(client.post)(
            "/staff/tables/1/close/", {"discard_cart": "1"}
        )
        assert response.status_code == 302
        await socket.recv_until("session.closed")
        assert await socket.communicator.receive_output(3) == {"type": "websocket.close",
                                                                "code": 4000}  # fmt: skip
        # the same browser comes back and starts a new order: a new session, a new diner,
        # nothing of the last party
        again = await DinerSocket.join(menu.table.token, cookie=socket.cookie, new=True)
        assert again.diner_id != socket.diner_id
        assert again.snapshot["cart"] == [] and again.snapshot["orders"] == []
        assert again.snapshot["session"]["id"] != socket.snapshot["session"]["id"]
        await again.close()

    async def test_rotate_closes_old_sockets_with_4403(self, menu):
        old_token = menu.table.token
        socket = await DinerSocket.join(old_token)
        elsewhere = await DinerSocket.join(menu.other_table.token)
        client = await database_sync_to_async(staff_client)()
        await database_sync_to_async(client.post)("/staff/tables/1/rotate/")
        assert await socket.communicator.receive_output(3) == {"type": "websocket.close",
                                                                "code": 4403}  # fmt: skip
        await socket.close()  # the server's websocket.disconnect, as daphne sends it
        assert await elsewhere.silent()
        assert (await database_sync_to_async(Client().get)(f"/t/{old_token}/")).status_code == 404
        refused = DinerSocket(old_token, socket.cookie)
        assert not (await refused.communicator.connect())[0]
        table = await database_sync_to_async(Table.objects.get)(number=1)
        # the diner scanning the new code is the same diner, in the same session
        back = await DinerSocket.join(table.token, cookie=socket.cookie)
        assert back.diner_id == socket.diner_id
        assert await database_sync_to_async(DiningSession.objects.filter(table=table).count)() == 1
        await back.close()
        await elsewhere.close()

    async def test_admin_sold_out_and_price_reach_open_tables(self, menu):
        socket = await DinerSocket.join(menu.table.token)
        client = await database_sync_to_async(staff_client)()
        response = await database_sync_to_async(client.post)(
            "/admin/menu/dish/", {"action": "mark_sold_out", "_selected_action": [menu.rice.pk]}
        )
        assert response.status_code == 302
        event, _ = await socket.recv_until("menu.dish")
        assert isinstance(event.pop("version"), int)
        assert event == {"type": "menu.dish", "dish_id": menu.rice.pk, "sold_out": True,
                         "price": 300}  # fmt: skip
        form = {
            "name": "米饭", "name_en": "Rice", "category": menu.rice.category_id,
            "description": "", "description_en": "", "price": "4.00", "image": "",
            "sort_order": 0, "min_qty": 1,
        }  # fmt: skip
        response = await database_sync_to_async(client.post)(
            f"/admin/menu/dish/{menu.rice.pk}/change/", form
        )
        assert response.status_code == 302, response.content[:2000]
        event, _ = await socket.recv_until("menu.dish")
        assert (event["sold_out"], event["price"]) == (False, 400)  # the form unticked it
        await socket.close()


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_closing_a_table_answers_its_waiter_calls(menu):
    from tests.kitchen.test_consumer import FloorSocket

    kitchen = await FloorSocket.open()
    diner = await DinerSocket.join(menu.table.token)
    await diner.op({"type": "waiter.call", "reason": "bill"})
    call, _ = await kitchen.recv_until("waiter.call")
    client = await database_sync_to_async(staff_client)()
    await database_sync_to_async(client.post)("/staff/tables/1/close/")
    done, _ = await kitchen.recv_until("waiter.done")
    assert done == {"type": "waiter.done", "call_id": call["call_id"]}
    await kitchen.close()
