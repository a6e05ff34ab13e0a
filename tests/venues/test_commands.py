"""The command line: `restaurant_create`, `staff_create`, `device_link`, `table_links`.

Each refusal is a CommandError (the message the operator reads, exit status 1) and leaves
nothing half made."""

import json
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import resolve

from restaurant.tables.models import Table
from restaurant.venues.devices import device_create, device_pair
from restaurant.venues.models import Restaurant, StaffMember
from restaurant.venues.roles import role_at

pytestmark = pytest.mark.django_db

SITE = "https://order.example.com"
GOOD_PASSWORD = "plum-blossom-lantern-42"


@pytest.fixture(autouse=True)
def site(settings, tmp_path):
    settings.SITE_URL = SITE
    settings.VAR_DIR = tmp_path
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def no_password(monkeypatch):
    """No password in the environment, and no terminal to ask on."""
    monkeypatch.delenv("STAFF_PASSWORD", raising=False)
    monkeypatch.setattr("os.isatty", lambda fd: False)


def run(*args: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def counts() -> tuple[int, int, int, int]:
    User = get_user_model()
    return tuple(m.objects.count() for m in (Restaurant, Table, User, StaffMember))


# restaurant_create -------------------------------------------------------------------------


def test_restaurant_create_named_makes_it_with_its_tables_and_prints_their_links():
    out = run(
        "restaurant_create", "--name", "川味小馆", "--name-en", "Sichuan House",
        "--slug", "chuanwei", "--currency", "cny", "--tables", "3",
    )  # fmt: skip
    restaurant = Restaurant.objects.get(slug="chuanwei")
    assert (restaurant.name, restaurant.name_en, restaurant.currency) == (
        "川味小馆", "Sichuan House", "CNY",
    )  # fmt: skip
    tables = list(restaurant.tables.order_by("number"))
    assert [t.number for t in tables] == [1, 2, 3]
    assert out.splitlines()[0] == "Created 川味小馆 (chuanwei, CNY) with 3 tables"
    for table in tables:
        assert f"{SITE}/t/{table.token}/" in out


def test_restaurant_create_positional_and_json():
    out = run("restaurant_create", "点心茶楼", "dimsum", "--currency", "HKD", "--tables", "2",
              "--language", "en", "--json")  # fmt: skip
    payload = json.loads(out)
    restaurant = Restaurant.objects.get(slug="dimsum")
    assert (restaurant.name, restaurant.currency, restaurant.language) == ("点心茶楼", "HKD", "en")
    assert payload["slug"] == "dimsum" and payload["id"] == restaurant.pk
    assert [(t["restaurant"], t["number"]) for t in payload["tables"]] == [
        ("dimsum", 1), ("dimsum", 2),
    ]  # fmt: skip
    assert all(t["url"].startswith(f"{SITE}/t/") for t in payload["tables"])


def test_restaurant_create_all_positional():
    run("restaurant_create", "Noodle Bar", "noodles", "jpy", "4")
    restaurant = Restaurant.objects.get(slug="noodles")
    assert (restaurant.name, restaurant.currency) == ("Noodle Bar", "JPY")
    assert list(restaurant.tables.values_list("number", flat=True)) == [1, 2, 3, 4]


def test_restaurant_create_with_no_tables():
    run("restaurant_create", "--name", "Bar", "--slug", "bar")
    assert Restaurant.objects.get(slug="bar").tables.count() == 0


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--name", "Bad", "--slug", "Bad Slug!"], "lowercase letters"),
        (["--name", "Bad", "--slug=-bad"], "lowercase letters"),
        (["--name", "Bad", "--slug", "x" * 41], "lowercase letters"),
        (["--name", "Bad", "--slug", "bad", "--currency", "yuan"], "three-letter"),
        (["--name", "Bad", "--slug", "bad", "--currency", "C1Y"], "three-letter"),
        (["--name", "Bad", "--slug", "bad", "--currency", "XYZ"], "ISO 4217"),  # not a currency
        (["--name", "Bad", "--slug", "bad", "--currency", "ZZZ"], "ISO 4217"),
        (["--name", "Bad", "--slug", "bad", "--language", "fr"], "language"),
        (["--name", "  ", "--slug", "bad"], "name"),
        (["--slug", "bad"], "--name"),
        (["--name", "Bad"], "--slug"),
        (["--name", "Bad", "--slug", "bad", "--tables", "-1"], "--tables"),
        (["--name", "Bad", "--slug", "bad", "--tables", "501"], "--tables"),
    ],
)
def test_restaurant_create_refuses_and_makes_nothing(args, words):
    if "--tables" not in args:
        args = [*args, "--tables", "4"]  # and none of them made either
    before = counts()
    with pytest.raises(CommandError, match=words):
        run("restaurant_create", *args)
    assert counts() == before


def test_restaurant_create_refuses_a_taken_slug_and_adds_no_tables_to_it():
    run("restaurant_create", "--name", "One", "--slug", "one", "--tables", "2")
    before = counts()
    with pytest.raises(CommandError, match="already exists"):
        run("restaurant_create", "--name", "Two", "--slug", "ONE", "--tables", "5")
    assert counts() == before
    assert Restaurant.objects.get(slug="one").name == "One"


# staff_create -------------------------------------------------------------------------------


@pytest.fixture
def two():
    one = Restaurant.objects.create(slug="chuanwei", name="川味小馆")
    other = Restaurant.objects.create(slug="dimsum", name="点心茶楼")
    return one, other


def test_staff_create_password_from_staff_password(two, monkeypatch):
    monkeypatch.setenv("STAFF_PASSWORD", GOOD_PASSWORD)
    out = run("staff_create", "--restaurant", "chuanwei", "--role", "kitchen", "--username", "wang")
    assert out.strip() == "wang is kitchen at chuanwei"
    user = get_user_model().objects.get(username="wang")
    assert user.check_password(GOOD_PASSWORD)
    assert role_at(user, two[0]) == "kitchen"
    assert role_at(user, two[1]) is None
    assert not user.is_staff  # the admin is a manager's


def test_staff_create_password_from_a_named_variable_positional(two, monkeypatch):
    monkeypatch.delenv("STAFF_PASSWORD", raising=False)
    monkeypatch.setenv("LI_PASSWORD", GOOD_PASSWORD)
    run("staff_create", "dimsum", "manager", "li", "--password-env", "LI_PASSWORD")
    user = get_user_model().objects.get(username="li")
    assert user.check_password(GOOD_PASSWORD)
    assert role_at(user, two[1]) == "manager"
    assert user.is_staff and not user.is_superuser


def test_staff_create_with_no_password_and_no_terminal_refuses(two, no_password):
    before = counts()
    with pytest.raises(CommandError, match=r"\$STAFF_PASSWORD"):
        run("staff_create", "--restaurant", "chuanwei", "--role", "waiter", "--username", "zhao")
    assert counts() == before


def test_staff_create_prompts_on_a_terminal(two, monkeypatch):
    monkeypatch.delenv("STAFF_PASSWORD", raising=False)
    monkeypatch.setattr("os.isatty", lambda fd: True)
    answers = iter([GOOD_PASSWORD, GOOD_PASSWORD, GOOD_PASSWORD, "something-else-entirely"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    run("staff_create", "--restaurant", "chuanwei", "--role", "waiter", "--username", "zhao")
    assert get_user_model().objects.get(username="zhao").check_password(GOOD_PASSWORD)
    before = counts()
    with pytest.raises(CommandError, match="differ"):
        run("staff_create", "--restaurant", "chuanwei", "--role", "waiter", "--username", "qian")
    assert counts() == before


@pytest.mark.parametrize("weak", ["short1", "password1234", "123456789012345", "chuanwei-wang"])
def test_staff_create_refuses_a_weak_password(two, monkeypatch, weak):
    monkeypatch.setenv("STAFF_PASSWORD", weak)
    before = counts()
    with pytest.raises(CommandError):
        run("staff_create", "--restaurant", "chuanwei", "--role", "waiter",
            "--username", "chuanwei-wang")  # fmt: skip
    assert counts() == before


def test_staff_create_unknown_restaurant(two, monkeypatch):
    monkeypatch.setenv("STAFF_PASSWORD", GOOD_PASSWORD)
    before = counts()
    with pytest.raises(CommandError, match="no restaurant with slug 'nowhere'"):
        run("staff_create", "--restaurant", "nowhere", "--role", "waiter", "--username", "a")
    assert counts() == before


@pytest.mark.parametrize("form", ["named", "positional"])
def test_staff_create_unknown_role(two, monkeypatch, form):
    monkeypatch.setenv("STAFF_PASSWORD", GOOD_PASSWORD)
    before = counts()
    args = (
        ["--restaurant", "chuanwei", "--role", "owner", "--username", "a"]
        if form == "named"
        else ["chuanwei", "owner", "a"]
    )
    with pytest.raises(CommandError, match=r"role|choice"):
        run("staff_create", *args)
    assert counts() == before


def test_staff_create_missing_arguments(two, monkeypatch):
    monkeypatch.setenv("STAFF_PASSWORD", GOOD_PASSWORD)
    with pytest.raises(CommandError, match="--username"):
        run("staff_create", "--restaurant", "chuanwei", "--role", "waiter")


def test_an_existing_person_gets_a_role_at_a_second_restaurant_and_keeps_their_password(
    two, monkeypatch
):
    monkeypatch.setenv("STAFF_PASSWORD", GOOD_PASSWORD)
    run("staff_create", "--restaurant", "chuanwei", "--role", "cashier", "--username", "sun")
    # the second time no password is needed, and one given is not used
    monkeypatch.setenv("STAFF_PASSWORD", "a-different-password-99")
    out = run("staff_create", "--restaurant", "dimsum", "--role", "waiter", "--username", "sun")
    assert out.strip() == "sun is waiter at dimsum"
    user = get_user_model().objects.get(username="sun")
    assert user.check_password(GOOD_PASSWORD)
    assert (role_at(user, two[0]), role_at(user, two[1])) == ("cashier", "waiter")


def test_an_existing_person_needs_no_password_for_a_second_restaurant(
    two, monkeypatch, no_password
):
    monkeypatch.setenv("STAFF_PASSWORD", GOOD_PASSWORD)
    run("staff_create", "--restaurant", "chuanwei", "--role", "cashier", "--username", "sun")
    monkeypatch.delenv("STAFF_PASSWORD")
    run("staff_create", "--restaurant", "dimsum", "--role", "kitchen", "--username", "sun")
    assert role_at(get_user_model().objects.get(username="sun"), two[1]) == "kitchen"


def test_a_second_role_at_the_same_restaurant_is_refused(two, monkeypatch):
    monkeypatch.setenv("STAFF_PASSWORD", GOOD_PASSWORD)
    run("staff_create", "--restaurant", "chuanwei", "--role", "waiter", "--username", "zhou")
    before = counts()
    with pytest.raises(CommandError, match="already has a role at 'chuanwei'"):
        run("staff_create", "--restaurant", "chuanwei", "--role", "manager", "--username", "zhou")
    assert counts() == before
    user = get_user_model().objects.get(username="zhou")
    assert role_at(user, two[0]) == "waiter" and not user.is_staff


def test_staff_create_gives_a_device_no_persons_role(two, monkeypatch):
    """A paired tablet (no password, a 180-day session) made a person, a manager here: its
    session would open this restaurant's admin and pages."""
    run("device_link", "--restaurant", "dimsum", "--name", "pass")
    monkeypatch.setenv("STAFF_PASSWORD", GOOD_PASSWORD)
    before = counts()
    with pytest.raises(CommandError, match="is a device"):
        run("staff_create", "--restaurant", "chuanwei", "--role", "manager",
            "--username", "dimsum.pass")  # fmt: skip
    assert counts() == before


@pytest.mark.parametrize("username", ["dimsum.kitchen", "ChuanWei.boss"])
def test_staff_create_names_no_person_like_a_device(two, monkeypatch, username):
    """``<slug>.<name>`` is a device's name: a person so named could pass for one (or take the
    name of a tablet not yet made)."""
    monkeypatch.setenv("STAFF_PASSWORD", GOOD_PASSWORD)
    before = counts()
    with pytest.raises(CommandError, match="device"):
        run("staff_create", "--restaurant", "chuanwei", "--role", "waiter",
            "--username", username)  # fmt: skip
    assert counts() == before
    run("staff_create", "--restaurant", "chuanwei", "--role", "waiter", "--username", "li.wei")


# device_link --------------------------------------------------------------------------------


def test_device_link_prints_a_working_one_time_link(two):
    out = run("device_link", "--restaurant", "chuanwei", "--name", "Kitchen pass")
    first, url = out.strip().splitlines()
    assert first.startswith("chuanwei.kitchen-pass (kitchen): open within 30 min")
    assert url.startswith(f"{SITE}/staff/pair/")
    path = urlsplit(url).path
    match = resolve(path)
    assert match.url_name == "staff-device-pair"
    member = StaffMember.objects.get(user__username="chuanwei.kitchen-pass")
    assert member.is_device and member.role == "kitchen" and member.restaurant == two[0]
    assert not member.user.has_usable_password()
    # the secret in the link signs the device in, once
    secret = match.kwargs["secret"]
    assert device_pair(secret=secret) == member.user
    assert device_pair(secret=secret) is None


def test_device_link_again_reuses_the_device_and_closes_the_old_link(two):
    old = run("device_link", "--restaurant", "chuanwei", "--name", "floor tablet",
              "--role", "waiter").split()[-1]  # fmt: skip
    new = run("device_link", "--restaurant", "chuanwei", "--name", "Floor Tablet").split()[-1]
    assert old != new
    members = StaffMember.objects.filter(is_device=True)
    assert members.count() == 1 and members.get().role == "waiter"  # the device's own role
    assert device_pair(secret=resolve(urlsplit(old).path).kwargs["secret"]) is None
    assert device_pair(secret=resolve(urlsplit(new).path).kwargs["secret"]) is not None


def test_device_link_unknown_restaurant_or_bad_name(two):
    before = counts()
    with pytest.raises(CommandError, match="no restaurant with slug"):
        run("device_link", "--restaurant", "nowhere", "--name", "pass")
    with pytest.raises(CommandError, match="letters or digits"):
        run("device_link", "--restaurant", "chuanwei", "--name", "!!!")
    with pytest.raises(CommandError, match="invalid choice"):  # a tablet is never a manager
        run("device_link", "--restaurant", "chuanwei", "--name", "office", "--role", "manager")
    assert counts() == before


def test_no_device_is_made_a_manager(two):
    """Leak: a tablet anyone can pick up, paired as a manager, had the manager's floor and
    kitchen rights with no password on it."""
    with pytest.raises(ValidationError, match="device's role"):
        device_create(restaurant=two[0], role="manager", name="office")
    assert not StaffMember.objects.filter(is_device=True).exists()


# table_links --------------------------------------------------------------------------------


@pytest.fixture
def tables():
    run("restaurant_create", "--name", "川味小馆", "--slug", "chuanwei", "--tables", "2")
    run("restaurant_create", "--name", "点心茶楼", "--slug", "dimsum", "--tables", "3")
    return {(t.restaurant.slug, t.number): t for t in Table.objects.select_related("restaurant")}


def test_table_links_of_one_restaurant(tables):
    out = run("table_links", "--restaurant", "dimsum")
    assert out.splitlines() == [f"{n:>4}  {SITE}/t/{tables['dimsum', n].token}/" for n in (1, 2, 3)]


def test_table_links_of_every_restaurant_say_which(tables):
    lines = run("table_links").splitlines()
    assert len(lines) == 5
    assert lines[0].split() == ["chuanwei", "1", f"{SITE}/t/{tables['chuanwei', 1].token}/"]
    assert lines[-1].split() == ["dimsum", "3", f"{SITE}/t/{tables['dimsum', 3].token}/"]


def test_table_links_json_carries_the_restaurant(tables):
    links = json.loads(run("table_links", "--json"))
    assert [(link["restaurant"], link["number"]) for link in links] == [
        ("chuanwei", 1), ("chuanwei", 2), ("dimsum", 1), ("dimsum", 2), ("dimsum", 3),
    ]  # fmt: skip
    assert set(links[0]) == {"restaurant", "number", "label", "url"}
    one = json.loads(run("table_links", "--json", "--restaurant", "chuanwei"))
    assert [link["url"] for link in one] == [
        f"{SITE}/t/{tables['chuanwei', n].token}/" for n in (1, 2)
    ]


def test_table_links_unknown_restaurant(tables):
    with pytest.raises(CommandError, match="no restaurant with slug 'nowhere'"):
        run("table_links", "--restaurant", "nowhere")
