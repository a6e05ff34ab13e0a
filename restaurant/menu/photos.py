"""Dish photos: checked at upload, resized once to the sizes phones need, served as plain files.

An upload is kept as sent (`Dish.photo`, under MEDIA_ROOT/dishes/ with a name of its own), and
two WebP copies are written beside it: 480 px wide (a menu card, two to three device pixels per
CSS pixel) and 960 px (the dish sheet across a phone's width). The menu's `image` is the 480 px
one's URL and `image_srcset` offers both, so a phone never downloads a camera's 4,000 px original.
Pillow does the work directly: two fixed sizes made once at upload need no on-demand thumbnail
machinery (django-imagekit, easy-thumbnails) with its cache of generated names.
"""

import uuid
from io import BytesIO
from pathlib import PurePosixPath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils.translation import gettext as _
from PIL import Image, ImageOps

WIDTHS = (480, 960)
FORMATS = {"JPEG", "PNG", "WEBP"}  # what phones' cameras and editors give; HEIC needs a plugin
MAX_PIXELS = 40_000_000  # 40 MP: past any phone camera; a larger one is a bomb, not a photo


def photo_upload_to(dish, filename: str) -> str:
    """A fresh name for every upload: a new photo never shares a URL (or a cache) with an old."""
    suffix = PurePosixPath(filename).suffix.lower()[:5] or ".jpg"
    return f"dishes/{uuid.uuid4().hex[:16]}{suffix}"


def validate_photo(file) -> None:
    """Refuse what is not a photo we can use, with a reason a person can act on."""
    limit = settings.MAX_PHOTO_BYTES
    if file.size > limit:
        raise ValidationError(
            _("The photo is %(size).1f MB; the limit is %(limit)s MB. Please send a smaller one.")
            % {"size": file.size / 1024 / 1024, "limit": f"{limit / 1024 / 1024:.3g}"},
            code="too_big",
        )
    try:
        file.seek(0)
        with Image.open(file) as image:
            kind, pixels = image.format, image.width * image.height
    except Exception as exc:  # Pillow raises many kinds for a file that is not an image
        raise ValidationError(
            _("This file is not a photo. Please upload a JPEG, PNG or WebP image."), code="invalid"
        ) from exc
    finally:
        file.seek(0)
    if kind not in FORMATS:
        raise ValidationError(
            _("%(kind)s images are not supported. Please upload a JPEG, PNG or WebP image.")
            % {"kind": kind},
            code="format",
        )
    if pixels > MAX_PIXELS:
        raise ValidationError(
            _("The photo has too many pixels (%(mp)d MP; at most %(max)d MP).")
            % {"mp": pixels // 1_000_000, "max": MAX_PIXELS // 1_000_000},
            code="too_many_pixels",
        )


def rendition_name(name: str, width: int) -> str:
    return f"{name.rsplit('.', 1)[0]}-{width}.webp"


def photo_urls(name: str) -> dict[int, str]:
    return {width: default_storage.url(rendition_name(name, width)) for width in WIDTHS}


def photo_renditions_make(name: str) -> list[str]:
    """Write the resized copies of the stored photo ``name``; returns their names. Turned as
    the camera held it (EXIF orientation), never enlarged, metadata (GPS!) left out."""
    with default_storage.open(name, "rb") as f, Image.open(f) as original:
        image = ImageOps.exif_transpose(original)
        image = image.convert("RGBA" if image.mode in ("RGBA", "LA", "P") else "RGB")
    written = []
    for width in WIDTHS:
        copy = image
        if image.width > width:
            copy = image.resize((width, round(image.height * width / image.width)), Image.LANCZOS)
        out = BytesIO()
        copy.save(out, "WEBP", quality=80, method=4)
        target = rendition_name(name, width)
        default_storage.delete(target)
        written.append(default_storage.save(target, ContentFile(out.getvalue())))
    return written


def photo_files_delete(name: str) -> None:
    """Remove a replaced or cleared photo and its copies."""
    for target in (name, *(rendition_name(name, w) for w in WIDTHS)):
        default_storage.delete(target)


def dish_photo_changed(*, dish, replaced: str = "") -> None:
    """A dish's photo was set, replaced or cleared (call inside the transaction that saved it,
    before it commits, so that no phone hears of the new menu before its copies exist). The
    replaced photo's files go once the change is committed."""
    if dish.photo:
        photo_renditions_make(dish.photo.name)
    if replaced and replaced != dish.photo.name:
        transaction.on_commit(lambda: photo_files_delete(replaced))
