"""`make run`'s server (daphne, the embedded default) serves uploaded dish photos from
MEDIA_ROOT, and nothing outside it; with SERVE_MEDIA off (production: nginx serves /media/) the
app serves none."""

import json
import urllib.error
import urllib.request

import pytest

from tests.support.servers import AsgiServer, manage, prepare_database

pytestmark = pytest.mark.multiprocess

MAKE_PHOTO = """
from io import BytesIO
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from restaurant.menu.models import Dish
from restaurant.menu.photos import dish_photo_changed
out = BytesIO()
Image.new("RGB", (1200, 900), (30, 120, 60)).save(out, "JPEG")
dish = Dish.objects.order_by("pk").first()
dish.photo = SimpleUploadedFile("dish.jpg", out.getvalue())
dish.save()
dish_photo_changed(dish=dish)
print(dish.pk)
"""


def get(url: str) -> tuple[int, dict, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_the_embedded_server_serves_photos_from_media_root_only(tmp_path):
    database_url = prepare_database(tmp_path)
    env = {"MEDIA_ROOT": str(tmp_path / "media")}
    out = manage("shell", "-c", MAKE_PHOTO, database_url=database_url, extra_env=env)
    dish_id = int(out.split()[-1])
    (tmp_path / "secret.txt").write_text("not for the web")
    with AsgiServer(database_url=database_url, extra_env=env) as server:
        status, _, body = get(server.url + "/api/menu/")
        menu = json.loads(body)
        [dish] = [d for c in menu["categories"] for d in c["dishes"] if d["id"] == dish_id]
        assert dish["image"].startswith("/media/dishes/") and dish["image"].endswith("-480.webp")
        for url in (dish["image"], dish["image"].replace("-480.", "-960.")):
            status, headers, body = get(server.url + url)
            assert status == 200 and headers["Content-Type"] == "image/webp", (url, status)
            assert body[:4] == b"RIFF" and body[8:12] == b"WEBP"
        for escape in ("/media/../secret.txt", "/media/%2e%2e/secret.txt", "/media/dishes/"):
            status, _, body = get(server.url + escape)
            assert status in (400, 404) and b"not for the web" not in body, escape
    with AsgiServer(database_url=database_url, extra_env={**env, "SERVE_MEDIA": "false"}) as off:
        assert get(off.url + dish["image"])[0] == 404
