"""The bytes of a kitchen ticket (ESC/POS), built with python-escpos's `Dummy` printer, and
the way back from bytes to text (the fake printer's output, the tests).

Chinese: python-escpos's text path (its "magic encoder") sends a line as GB18030 only when the
line holds a character from U+4E00 to U+9FA5, and never selects the printer's Chinese mode;
any other line goes through its single-byte code pages, where full-width punctuation (（）、：)
and rarer characters (䶮) become "?", and a code page switch (ESC t) lands between lines. So
every line here is written raw: the printer is put in Chinese character mode once (FS &) and
each line is GB18030 (ASCII is itself there). `ticket_text` decodes it back, and the tests
check that it does.

Sizes: GS ! (character size) scales Chinese and Latin alike; ESC ! does not reach Chinese
characters on most kitchen printers.
"""

from dataclasses import dataclass, field

from escpos.printer import Dummy

ENCODING = "gb18030"
WIDTH = 42  # characters of font A on 80 mm paper; Chinese characters take two
CHINESE_MODE = b"\x1c\x26"  # FS &: two-byte characters from here on
RULE = "-" * WIDTH


@dataclass
class TicketItem:
    qty: int
    name: str
    options: list[str] = field(default_factory=list)
    note: str = ""
    takeaway: bool = False  # 打包: packed to take away (a line of its own, big, under the dish)


@dataclass
class Ticket:
    """What a slip says. ``table``: its label or number; ``round``: None for a void slip."""

    restaurant: str
    station: str
    table: str
    at: str  # "HH:MM", the restaurant's time
    items: list[TicketItem]
    round: int | None = None
    reprint: bool = False
    void: bool = False
    void_reason: str = ""
    restore: bool = False  # a void taken back: make the dish after all
    number: str = ""  # the job's number, printed small at the foot (staff name it)
    guests: int | None = None  # how many sit at the meal (人数), when someone said
    meal_note: str = ""  # the whole order's note (整单备注): every station reads it


class _Slip:
    def __init__(self) -> None:
        self.printer = Dummy()
        self.printer.hw("INIT")  # ESC @: whatever a previous slip left set is reset
        self.printer._raw(CHINESE_MODE)

    def line(self, text: str = "", *, size: int = 1, bold: bool = False,
             align: str = "left") -> None:  # fmt: skip
        self.printer.set(align=align, bold=bold, custom_size=True, width=size, height=size)
        self.printer._raw(text.encode(ENCODING, errors="replace") + b"\n")

    def end(self) -> bytes:
        self.printer.set(align="left", bold=False, custom_size=True, width=1, height=1)
        self.printer.buzzer(3, 2)  # ESC B 3 2: three beeps, the cooks hear a new ticket
        self.printer.cut()  # feeds past the cutter, then a full cut
        return self.printer.output


def ticket_render(ticket: Ticket) -> bytes:
    """The slip as the printer takes it: banner, restaurant, station, table big, round and
    time, each dish big with its options and note (and "打包 TO GO" under a dish packed to
    take away), the job's number, buzzer and cut."""
    slip = _Slip()
    if ticket.reprint:
        slip.line("** 重印 REPRINT **", size=2, bold=True, align="center")
    if ticket.void:
        slip.line("** 退菜 VOID **", size=2, bold=True, align="center")
    if ticket.restore:
        slip.line("** 恢复 BACK ON **", size=2, bold=True, align="center")
        slip.line("退菜已撤回，照做 The void was taken back: make it", align="center")
    slip.line(ticket.restaurant, align="center")
    slip.line(ticket.station, bold=True, align="center")
    slip.line(ticket.table, size=2, bold=True, align="center")
    heading = f"第{ticket.round}轮 Round {ticket.round}" if ticket.round else ""
    guests = f"{ticket.guests}位 Guests {ticket.guests}" if ticket.guests else ""
    slip.line(f"{heading}  {ticket.at}  {guests}".strip())
    if ticket.meal_note:
        slip.line(f"整单备注 Order note: {ticket.meal_note}", size=2, bold=True)
    slip.line(RULE)
    for item in ticket.items:
        slip.line(f"{item.qty} × {item.name}", size=2, bold=True)
        if item.takeaway:
            slip.line("  ** 打包 TO GO **", size=2, bold=True)
        if item.options:
            slip.line("  " + "、".join(item.options), size=2)
        if item.note:
            slip.line(f"  备注 Note: {item.note}", size=2)
    if ticket.void_reason:
        slip.line(f"原因 Reason: {ticket.void_reason}", size=2)
    slip.line(RULE)
    if ticket.number:
        slip.line(f"#{ticket.number}", align="right")
    return slip.end()


# The commands this module and python-escpos emit, by prefix: how many parameter bytes follow.
# ESC/POS is not self-delimiting; this covers what a ticket holds, not every printer command.
_PARAMS = {
    b"\x1b@": 0, b"\x1b!": 1, b"\x1bE": 1, b"\x1ba": 1, b"\x1b-": 1, b"\x1bt": 1,
    b"\x1bd": 1, b"\x1bB": 2, b"\x1bM": 1, b"\x1bG": 1, b"\x1b{": 1, b"\x1b2": 0,
    b"\x1b3": 1, b"\x1bJ": 1, b"\x1bp": 3, b"\x1d!": 1, b"\x1dB": 1, b"\x1db": 1,
    b"\x1c&": 0, b"\x1c.": 0, b"\x1c!": 1, b"\x1c-": 1, b"\x10\x04": 1,
}  # fmt: skip


def ticket_text(payload: bytes) -> str:
    """The printable text of ESC/POS ``payload``: commands dropped, GB18030 decoded. A cut
    (GS V) becomes a line of ``✂``, so slips received together stay apart; a QR code (a
    receipt's, GS ( k) the line ``[QR <what it holds>]``."""
    text = bytearray()
    i = 0
    while i < len(payload):
        byte = payload[i]
        if byte in (0x1B, 0x1C, 0x1D, 0x10):
            command = payload[i : i + 2]
            if command == b"\x1d(" and payload[i + 2 : i + 3] == b"k":  # GS ( k pL pH data
                size = int.from_bytes(payload[i + 3 : i + 5], "little")
                block = payload[i + 5 : i + 5 + size]
                if block[:3] == b"1P0":  # the code's data stored: say what it holds
                    text += b"[QR " + block[3:] + b"]\n"
                i += 5 + size
                continue
            if command == b"\x1dV":  # cut: GS V m, and a feed amount for m 65/66
                mode = payload[i + 2] if i + 2 < len(payload) else 0
                i += 4 if mode in (65, 66) else 3
                text += "\n✂\n".encode(ENCODING)
                continue
            i += 2 + _PARAMS.get(bytes(command), 1)
            continue
        text.append(byte)
        i += 1
    return text.decode(ENCODING, errors="replace")
