"""A dish photo from the admin to the phones, in Debian's Chromium against a real server (the
embedded one, `make run`'s): the owner picks a photo in the dish's page and sees it at once in
the preview, saves it, and a phone at a table shows the dish with the photo's 480 px copy.
The phone's screenshot goes to test-results/phone-menu-photo.png."""

import json
import re
import urllib.request
from io import BytesIO

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import expect, sync_playwright

from tests.support.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    PHONE,
    RESULTS,
    TABLET,
    TIMEOUT_MS,
    chromium_required,
    staff_create,
)
from tests.support.servers import AsgiServer, prepare_database

pytestmark = pytest.mark.browser

OWNER, OWNER_PASSWORD = "owner", "a-long-owner-password-for-photos"


def dish_photo() -> bytes:
    """A camera-sized picture of a dish on a plate (drawn: the tests ship no photographs)."""
    image = Image.new("RGB", (2400, 1800), (120, 84, 60))
    draw = ImageDraw.Draw(image)
    draw.ellipse((500, 200, 1900, 1600), fill=(246, 244, 240))  # the plate
    draw.ellipse((650, 350, 1750, 1450), fill=(236, 232, 226))
    for i, (x, y) in enumerate([(900, 700), (1200, 620), (1050, 950), (1350, 900), (800, 1000)]):
        colour = [(70, 150, 60), (200, 60, 40), (90, 170, 70), (230, 170, 40), (60, 130, 50)][i]
        draw.ellipse((x - 160, y - 110, x + 160, y + 110), fill=colour)
    out = BytesIO()
    image.save(out, "JPEG", quality=88)
    return out.getvalue()


def test_a_photo_uploaded_in_the_admin_shows_on_the_phones(tmp_path):
    chromium_required()
    RESULTS.mkdir(exist_ok=True)
    database_url = prepare_database(tmp_path)
    # The restaurant's manager edits its menu in the admin.
    staff_create(database_url, restaurant="shuxiang", role="manager", username=OWNER,
                 password=OWNER_PASSWORD)  # fmt: skip
    photo = tmp_path / "mapo.jpg"
    photo.write_bytes(dish_photo())
    env = {"MEDIA_ROOT": str(tmp_path / "media")}
    expect.set_options(timeout=TIMEOUT_MS)
    errors: list[str] = []
    with (
        AsgiServer(database_url=database_url, extra_env=env) as server,
        sync_playwright() as playwright,
    ):
        with urllib.request.urlopen(server.url + "/api/menu/", timeout=10) as response:
            first = json.load(response)["categories"][0]["dishes"][0]
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            admin = browser.new_context(**TABLET, locale="en-US").new_page()
            admin.set_default_timeout(TIMEOUT_MS)
            admin.on("pageerror", lambda exc: errors.append(f"admin: {exc}"))
            admin.goto(f"{server.url}/admin/login/?next=/admin/menu/dish/{first['id']}/change/")
            admin.locator("#id_username").fill(OWNER)
            admin.locator("#id_password").fill(OWNER_PASSWORD)
            admin.locator("input[type=submit]").click()
            expect(admin.locator("#dish_form")).to_be_visible()
            # The photo shows in the preview as soon as it is picked, before it is saved.
            preview = admin.locator("img.photo-preview")
            expect(preview).to_be_hidden()
            admin.locator("#id_photo").set_input_files(str(photo))
            expect(preview).to_be_visible()
            expect(preview).to_have_attribute("src", re.compile(r"^blob:"))
            admin.locator("input[name=_continue]").click()
            expect(admin.locator(".messagelist .success")).to_be_visible()
            expect(preview).to_have_attribute("src", re.compile(r"^/media/dishes/.+-480\.webp$"))
            expect(preview).to_have_js_property("naturalWidth", 480)

            phone = browser.new_context(**PHONE, locale="en-US").new_page()
            phone.set_default_timeout(TIMEOUT_MS)
            phone.on("pageerror", lambda exc: errors.append(f"phone: {exc}"))
            phone.goto(server.table_url(1))
            expect(phone.locator("body")).to_have_attribute("data-connection", "online")
            picture = phone.locator(f'.dish-card[data-dish="{first["id"]}"] img')
            expect(picture).to_have_attribute("src", re.compile(r"^/media/dishes/.+-480\.webp$"))
            picture.scroll_into_view_if_needed()
            expect(picture).to_have_js_property("naturalWidth", 480)
            phone.evaluate("window.scrollTo(0, 0)")
            expect(phone.locator("#toasts .toast")).to_have_count(0)
            phone.screenshot(path=str(RESULTS / "phone-menu-photo.png"))
        finally:
            browser.close()
    assert not errors, errors
