"""QR codes for table links, drawn by segno (pure Python, maintained, SVG output)."""

import io

import segno

from restaurant.tables.links import table_url
from restaurant.tables.models import Table


def _qr(table: Table) -> segno.QRCode:
    # Error correction M: still scans with a worn or splashed sticker.
    return segno.make(table_url(table), error="m")


def table_qr_svg(table: Table, *, scale: int = 8) -> bytes:
    """A standalone SVG document."""
    buffer = io.BytesIO()
    _qr(table).save(buffer, kind="svg", scale=scale, border=2, title=str(table))
    return buffer.getvalue()


def table_qr_svg_inline(table: Table, *, scale: int = 6) -> str:
    """An <svg> element to embed in an HTML page (the printable sheet)."""
    return _qr(table).svg_inline(scale=scale, border=2)
