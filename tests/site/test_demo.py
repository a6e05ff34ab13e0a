import json
from io import StringIO

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command

from restaurant.menu.models import Category, Dish, Option, OptionGroup
from restaurant.site.demo import DEMO_SLUGS, LOGINS_FILE, ROLES, demo_load, demo_logins
from restaurant.tables.models import Table
from restaurant.venues.models import Restaurant, StaffMember
from restaurant.venues.roles import role_at

STATIC_ROOT = settings.BASE_DIR / "restaurant" / "static"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def quick_hashes(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def authenticate(*, username: str, password: str):
    """The user if this password signs them in (what the login pages ask, minus the lockout
    guard, which needs a request)."""
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    return user if user and user.check_password(password) else None


def counts() -> tuple[int, ...]:
    models = (Restaurant, Category, Dish, OptionGroup, Option, Table, StaffMember)
    return tuple(model.objects.count() for model in models)


def test_two_demo_restaurants_each_with_its_own_menu_and_currency():
    loaded = demo_load()
    assert [r.slug for r in loaded] == ["shuxiang", "dimsum"] == DEMO_SLUGS
    shuxiang, dimsum = loaded
    assert (shuxiang.name, shuxiang.name_en, shuxiang.currency, shuxiang.language) == (
        "蜀香小馆", "Shu Xiang Bistro", "CNY", "zh-hans",
    )  # fmt: skip
    assert (dimsum.name, dimsum.name_en, dimsum.currency, dimsum.language) == (
        "点心茶楼", "Dim Sum House", "HKD", "en",
    )  # fmt: skip
    assert shuxiang.categories.count() >= 6 and shuxiang.dishes.count() >= 30
    assert 2 <= dimsum.categories.count() < shuxiang.categories.count()
    assert 8 <= dimsum.dishes.count() < shuxiang.dishes.count()
    for restaurant in loaded:
        dishes = list(restaurant.dishes.select_related("category"))
        assert all(d.category.restaurant_id == restaurant.pk for d in dishes)
        for dish in dishes:
            assert dish.price > 0, dish
            assert dish.name and dish.name_en, dish
            assert dish.description and dish.description_en, dish
        assert any(d.sold_out for d in dishes) and sum(not d.sold_out for d in dishes) >= 8
    assert all(c.name and c.name_en for c in Category.objects.all())


def test_demo_option_groups():
    demo_load()
    groups = list(OptionGroup.objects.prefetch_related("options"))
    assert groups
    assert any(g.min_choices >= 1 for g in groups)
    for group in groups:
        assert group.min_choices <= group.max_choices, group
        assert group.max_choices >= 1, group
        options = list(group.options.all())
        assert len(options) >= max(group.min_choices, 1), group
        assert all(o.name and o.name_en for o in options), group
    # Spice level is defined once per restaurant and offered on its spicy dishes.
    spice = OptionGroup.objects.filter(name_en="Spice level")
    assert spice.filter(restaurant__slug="shuxiang").count() == 1
    assert spice.values("dishes").distinct().count() >= 5
    assert all(g.min_choices == g.max_choices == 1 for g in spice)
    assert Option.objects.filter(price__gt=0).exists()
    assert OptionGroup.objects.filter(restaurant__slug="dimsum", dishes__isnull=False).exists()
    for group in OptionGroup.objects.prefetch_related("dishes"):
        assert all(d.restaurant_id == group.restaurant_id for d in group.dishes.all()), group


def test_demo_tables_numbered_per_restaurant_with_tokens_unique_across_them():
    demo_load()
    for slug, count in (("shuxiang", 12), ("dimsum", 8)):
        tables = list(Table.objects.filter(restaurant__slug=slug))
        assert [t.number for t in tables] == list(range(1, count + 1))
        assert all(t.label for t in tables)
    tokens = set(Table.objects.values_list("token", flat=True))
    assert len(tokens) == 20
    assert all(len(token) >= 22 for token in tokens)


def test_demo_loads_once():
    assert len(demo_load()) == 2
    loaded = counts()
    assert demo_load() == []
    assert counts() == loaded


def test_one_restaurant_only_then_the_other():
    """`demo_load --only shuxiang`: a one-restaurant deployment (the browser and multi-process
    tests run on one); a later full load adds the missing one and leaves the first alone."""
    assert [r.slug for r in demo_load(only="shuxiang")] == ["shuxiang"]
    assert list(Restaurant.objects.values_list("slug", flat=True)) == ["shuxiang"]
    first = counts()
    assert [r.slug for r in demo_load()] == ["dimsum"]
    assert Restaurant.objects.get(slug="shuxiang").dishes.count() == first[2]
    with pytest.raises(ValueError, match="no demo restaurant"):
        demo_load(only="nowhere")


def test_a_database_with_a_restaurant_of_its_own_is_left_alone():
    own = Restaurant.objects.create(slug="noodles", name="面馆")
    Category.objects.create(restaurant=own, name="面")
    before = counts()
    assert demo_load() == []
    assert counts() == before


def test_the_old_single_restaurant_demo_is_renamed_and_keeps_its_tables_and_menu():
    """A database from before restaurants: the migration put its demo into `main`. It becomes
    `shuxiang` (so `make run` prints the same as on a fresh clone), with its menu, its tables
    and their tokens (every printed QR code still works); the second restaurant is added."""
    old = Restaurant.objects.create(slug="main", name="蜀香小馆", name_en="Shu Xiang Bistro")
    category = Category.objects.create(restaurant=old, name="热菜")
    Dish.objects.create(category=category, name="麻婆豆腐", price=2800)
    table = Table.objects.create(restaurant=old, number=1, label="1号桌")

    assert [r.slug for r in demo_load()] == ["dimsum"]
    old.refresh_from_db()
    assert old.slug == "shuxiang"
    assert list(old.dishes.values_list("name", flat=True)) == ["麻婆豆腐"]  # not reloaded
    assert Table.objects.get(pk=table.pk).token == table.token
    assert Restaurant.objects.count() == 2


def test_an_old_empty_restaurant_gets_the_demo():
    """`serve --no-demo` before restaurants left one nameless restaurant and no menu."""
    Restaurant.objects.create(slug="main")
    assert [r.slug for r in demo_load()] == ["shuxiang", "dimsum"]
    shuxiang = Restaurant.objects.get(slug="shuxiang")
    assert (shuxiang.name, shuxiang.currency) == ("蜀香小馆", "CNY")
    assert shuxiang.dishes.count() >= 30 and shuxiang.tables.count() == 12


def test_someone_elses_main_is_not_renamed():
    own = Restaurant.objects.create(slug="main", name="面馆")
    Category.objects.create(restaurant=own, name="面")
    assert demo_load() == []
    own.refresh_from_db()
    assert own.slug == "main"


def test_demo_images_exist():
    demo_load()
    for image in Dish.objects.values_list("image", flat=True):
        assert image.startswith("dishes/") and image.endswith(".svg"), image
        path = STATIC_ROOT / image
        assert path.is_file(), image
        assert path.stat().st_size < 2048, image


def test_demo_load_command():
    out = StringIO()
    call_command("demo_load", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("Demo restaurant shuxiang loaded: ")
    assert lines[0].endswith(" 12 tables.")
    assert lines[1].startswith("Demo restaurant dimsum loaded: ")
    assert lines[1].endswith(" 8 tables.")
    out = StringIO()
    call_command("demo_load", stdout=out)
    assert out.getvalue().strip() == "Demo data already present; left as is."


def test_demo_load_command_only():
    out = StringIO()
    call_command("demo_load", "--only", "dimsum", stdout=out)
    assert out.getvalue().startswith("Demo restaurant dimsum loaded: ")
    assert list(Restaurant.objects.values_list("slug", flat=True)) == ["dimsum"]


# The logins `make run` prints ---------------------------------------------------------------


def test_one_login_per_role_at_each_demo_restaurant_and_the_superuser(tmp_path):
    demo_load()
    logins = demo_logins(var_dir=tmp_path, superuser="admin")
    admin, *people = logins
    assert (admin.restaurant, admin.username) == (None, "admin")
    user = authenticate(username="admin", password=admin.password)
    assert user is not None and user.is_superuser
    assert [(login.restaurant.slug, login.role) for login in people] == [
        (slug, role) for slug in DEMO_SLUGS for role in ROLES
    ]
    assert set(ROLES) == {"manager", "cashier", "waiter", "kitchen"}
    for login in people:
        user = authenticate(username=login.username, password=login.password)
        assert user is not None, login.username
        assert not user.is_superuser
        assert user.is_staff == (login.role == "manager")  # the admin is for managers
        assert role_at(user, login.restaurant) == login.role
        other = Restaurant.objects.exclude(pk=login.restaurant.pk).get()
        assert role_at(user, other) is None  # one restaurant's staff only
    assert len({login.password for login in logins}) == len(logins)  # generated, each its own
    # kept where only the owner reads them
    assert (tmp_path / LOGINS_FILE).stat().st_mode & 0o777 == 0o600
    assert json.loads((tmp_path / LOGINS_FILE).read_text()) == {
        login.username: login.password for login in logins
    }


def test_logins_stay_the_same_from_one_start_to_the_next(tmp_path):
    demo_load()
    first = demo_logins(var_dir=tmp_path, superuser="admin")
    before = counts(), get_user_model().objects.count()
    again = demo_logins(var_dir=tmp_path, superuser="admin")
    assert [(x.username, x.password) for x in again] == [(x.username, x.password) for x in first]
    assert (counts(), get_user_model().objects.count()) == before  # nothing duplicated


def test_new_passwords_only_when_asked_or_unknown(tmp_path):
    demo_load()
    first = {x.username: x.password for x in demo_logins(var_dir=tmp_path, superuser="admin")}
    renewed = {
        x.username: x.password for x in demo_logins(var_dir=tmp_path, superuser="admin", renew=True)
    }
    assert renewed.keys() == first.keys()
    assert all(renewed[name] != first[name] for name in first)
    assert authenticate(username="dimsum-cashier", password=renewed["dimsum-cashier"])
    # a lost file: var/ knows no password any more, so none printed would work: new ones
    (tmp_path / LOGINS_FILE).unlink()
    lost = {x.username: x.password for x in demo_logins(var_dir=tmp_path, superuser="admin")}
    assert authenticate(username="shuxiang-waiter", password=lost["shuxiang-waiter"])


def test_only_demo_restaurants_get_demo_logins(tmp_path):
    demo_load(only="dimsum")
    logins = demo_logins(var_dir=tmp_path, superuser="admin")
    assert {login.restaurant.slug for login in logins[1:]} == {"dimsum"}
    assert not get_user_model().objects.filter(username__startswith="shuxiang-").exists()


def test_no_demo_still_prints_a_superuser(tmp_path):
    (admin,) = demo_logins(var_dir=tmp_path, superuser="admin")
    assert authenticate(username="admin", password=admin.password).is_superuser


# The till's evening -----------------------------------------------------------------------------


def test_the_full_demo_comes_with_an_evening_to_report_and_a_table_to_settle():
    """`make run`'s demo: 蜀香小馆's till set up (¥2 a guest, to the jiao, receipts at the bar)
    and tonight so far made through the till's services: tables closed with each split, money
    by several methods and a refund, a discount with its reason, a dish given free and one
    taken back, a table closed unpaid; 包间A still eating, to be settled live."""
    from restaurant.billing.models import ClosedCheck, Discount, Payment
    from restaurant.billing.report import z_report
    from restaurant.billing.selectors import check_of, share_due
    from restaurant.billing.services import meal_close, payment_record
    from restaurant.dining.models import DiningSession
    from restaurant.venues.days import business_date

    demo_load()
    shuxiang = Restaurant.objects.get(slug="shuxiang")
    dimsum = Restaurant.objects.get(slug="dimsum")
    assert (shuxiang.cover_charge, shuxiang.rounding, shuxiang.receipt_station.code) == (
        200, "jiao", "bar")  # fmt: skip
    assert (dimsum.service_percent, dimsum.receipt_station.code) == (10, "bar")
    assert not ClosedCheck.objects.filter(restaurant=dimsum).exists()

    report = z_report(restaurant=shuxiang, date=business_date(shuxiang))
    checks = ClosedCheck.objects.filter(restaurant=shuxiang)
    assert report["checks"]["count"] == checks.count() == 5
    assert report["checks"]["net"] == sum(c.total for c in checks)
    assert report["checks"]["rounding"] > 0 and report["checks"]["comped"] > 0
    targets = set(Payment.objects.filter(restaurant=shuxiang).values_list("target", flat=True))
    assert {t.split(":")[0] for t in targets} == {"check", "diner", "equal"}
    methods = {m["method"] for m in report["payments"]["methods"] if m["count"]}
    assert methods == {"cash", "card", "wechat", "alipay"}
    assert report["payments"]["cash"]["change"] > 0  # cash handed over in notes
    assert [r["reason"] for r in report["payments"]["refunds"]] == ["改用支付宝 Paid by Alipay "
                                                                   "instead"]  # fmt: skip
    assert {d["reason"] for d in report["discounts"]} == {
        "会员95折 Member 5% off", "口味偏咸 Too salty"}  # fmt: skip
    assert Discount.objects.filter(restaurant=shuxiang).count() == 2
    assert sorted((a["kind"], a["by"]) for a in report["voids_and_comps"]) == [
        ("comp", "小李"), ("void", "王经理")]  # fmt: skip
    (unpaid,) = report["unpaid"]
    assert unpaid["table"]["label"] == "包间B" and unpaid["by"] == "王经理"
    shared = [line for c in checks for line in c.detail["lines"] if len(line["owners"]) > 1]
    assert len(shared) == 1  # the fish, shared by three
    assert shared[0]["owners"] and len(shared[0]["owners"]) == 3

    (still,) = report["open_meals"]
    assert still["table"]["label"] == "包间A" and still["paid"] == 0 and still["total"] > 0
    meal = DiningSession.objects.get(pk=still["session_id"])
    assert meal.orders.filter(status="preparing").exists()  # the dim sum is on its way
    check, _, _, _, payments = check_of(meal)
    due = share_due(check, payments, "check")
    assert due == still["total"]
    cashier = get_user_model().objects.get(username="shuxiang-cashier")
    payment_record(restaurant=shuxiang, session_id=meal.pk, method="wechat", amount=due,
                   target="check", expect=due, op_id="live", by=cashier)  # fmt: skip
    meal_close(restaurant=shuxiang, table=meal.table, by=cashier, may_close_unpaid=False)
    after = z_report(restaurant=shuxiang, date=business_date(shuxiang))
    assert after["checks"]["count"] == 6 and after["open_meals"] == []


def test_the_evening_is_made_once():
    from restaurant.billing.models import ClosedCheck, Payment
    from restaurant.dining.models import DiningSession

    demo_load()
    made = (ClosedCheck.objects.count(), Payment.objects.count(), DiningSession.objects.count())
    before = counts()
    assert demo_load() == []
    assert (ClosedCheck.objects.count(), Payment.objects.count(),
            DiningSession.objects.count()) == made  # fmt: skip
    assert counts() == before


def test_a_one_restaurant_load_has_no_evening_and_a_later_full_load_adds_it_once():
    """`--only` is the clean restaurant the browser tests run on: no till settings, no meals.
    A demo loaded so (or before the till existed) gets the evening from the next full load,
    once: a restaurant that has used its till is left alone."""
    from restaurant.billing.models import ClosedCheck
    from restaurant.dining.models import DiningSession

    (shuxiang,) = demo_load(only="shuxiang")
    assert not DiningSession.objects.exists()
    shuxiang.refresh_from_db()
    till = (shuxiang.cover_charge, shuxiang.rounding, shuxiang.receipt_station)
    assert till == (0, "none", None)
    assert [r.slug for r in demo_load()] == ["dimsum"]
    assert ClosedCheck.objects.filter(restaurant=shuxiang).count() == 5
    shuxiang.refresh_from_db()
    assert shuxiang.cover_charge == 200
    Restaurant.objects.filter(pk=shuxiang.pk).update(cover_charge=300)  # the manager's own
    demo_load()
    assert ClosedCheck.objects.filter(restaurant=shuxiang).count() == 5
    assert Restaurant.objects.get(pk=shuxiang.pk).cover_charge == 300


def test_no_evening_over_a_table_in_use():
    from restaurant.billing.models import ClosedCheck
    from restaurant.dining.services import session_open

    (shuxiang,) = demo_load(only="shuxiang")
    session_open(table=shuxiang.tables.get(number=11), by_staff=True)
    demo_load()
    assert not ClosedCheck.objects.exists()
    assert Restaurant.objects.get(pk=shuxiang.pk).cover_charge == 0
