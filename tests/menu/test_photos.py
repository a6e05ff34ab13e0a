"""Dish photos through the admin: an upload makes the phones' sizes, the menu points at them;
what is not a photo, or too big, is refused with a reason; a replaced photo's files go."""

from io import BytesIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from PIL import Image

from restaurant.menu.models import Dish

pytestmark = pytest.mark.django_db


def jpeg(width: int, height: int, *, orientation: int | None = None) -> bytes:
    image = Image.new("RGB", (width, height), (200, 80, 20))
    out = BytesIO()
    exif = Image.Exif()
    if orientation:
        exif[0x0112] = orientation
    image.save(out, "JPEG", quality=90, exif=exif)
    return out.getvalue()


def upload(name: str, data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="image/jpeg")


@pytest.fixture
def boss(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    user = get_user_model().objects.create_superuser("boss", password="a-long-admin-password")
    client.force_login(user)
    return client


def dish_form(menu, **fields) -> dict:
    dish = menu.rice
    data = {
        "category": dish.category_id, "name": dish.name, "name_en": dish.name_en,
        "description": "", "description_en": "", "price": "3.00", "image": "",
        "sort_order": "0", "min_qty": "1",
    }  # fmt: skip
    data.update(fields)
    return data


def change(client, menu, **fields):
    return client.post(f"/admin/menu/dish/{menu.rice.pk}/change/", dish_form(menu, **fields))


def menu_dish(client, dish_id: int) -> dict:
    menu = client.get("/api/menu/").json()
    return next(d for c in menu["categories"] for d in c["dishes"] if d["id"] == dish_id)


def test_an_upload_makes_the_phones_sizes_and_the_menu_points_at_them(
    boss, menu, settings, django_capture_on_commit_callbacks
):
    # Taken sideways: EXIF says turn it, so the copies come out upright (3000×4000).
    response = change(boss, menu, photo=upload("IMG_0001.JPG", jpeg(4000, 3000, orientation=6)))
    assert response.status_code == 302, response.context["adminform"].form.errors
    dish = Dish.objects.get(pk=menu.rice.pk)
    assert dish.photo.name.startswith("dishes/") and dish.photo.name.endswith(".jpg")
    stem = dish.photo.name.removesuffix(".jpg")
    media = Path(settings.MEDIA_ROOT)
    for width in (480, 960):
        with Image.open(media / f"{stem}-{width}.webp") as copy:
            assert copy.format == "WEBP" and copy.size == (width, width * 4 // 3)
            assert not copy.getexif()  # no camera metadata (location) on the public copy
    served = menu_dish(boss, dish.pk)
    assert served["image"] == f"/media/{stem}-480.webp"
    assert served["image_srcset"] == f"/media/{stem}-480.webp 480w, /media/{stem}-960.webp 960w"
    page = boss.get(f"/admin/menu/dish/{dish.pk}/change/").content.decode()
    assert f'src="/media/{stem}-480.webp"' in page and 'type="file"' in page

    # A new photo replaces the old one and its copies (once the change is committed).
    with django_capture_on_commit_callbacks(execute=True):
        assert change(boss, menu, photo=upload("new.jpg", jpeg(600, 400))).status_code == 302
    new = Dish.objects.get(pk=dish.pk).photo.name
    assert new != dish.photo.name
    assert sorted(p.name for p in (media / "dishes").iterdir()) == sorted(
        Path(n).name for n in (new, new[:-4] + "-480.webp", new[:-4] + "-960.webp")
    )
    with Image.open(media / (new[:-4] + "-960.webp")) as copy:
        assert copy.size == (600, 400)  # never enlarged


def test_what_is_not_a_photo_or_too_big_is_refused_with_a_reason(boss, menu, settings):
    refused = change(boss, menu, photo=upload("menu.jpg", b"%PDF-1.4 not a picture"))
    assert refused.status_code == 200
    [error] = refused.context["adminform"].form.errors.as_data()["photo"]
    assert error.code == "invalid_image"  # Django's ImageField, through Pillow
    settings.MAX_PHOTO_BYTES = 100 * 1024
    big = jpeg(3000, 3000)
    assert len(big) > 100 * 1024
    refused = change(boss, menu, photo=upload("big.jpg", big))
    assert refused.status_code == 200
    [error] = refused.context["adminform"].form.errors.as_data()["photo"]
    assert error.code == "too_big" and "0.0977 MB" in error.message  # the limit, said
    assert not Dish.objects.get(pk=menu.rice.pk).photo
    assert not (Path(settings.MEDIA_ROOT) / "dishes").exists()


def test_a_dish_without_a_photo_keeps_its_picture_path(client, menu):
    Dish.objects.filter(pk=menu.rice.pk).update(image="dishes/steamed-rice.svg")
    served = menu_dish(client, menu.rice.pk)
    assert served["image"].startswith("/static/dishes/steamed-rice")
    assert served["image"].endswith(".svg") and "image_srcset" not in served
