"""A ticket's bytes: Chinese as GB18030 in the printer's Chinese mode, big type, buzzer, cut."""

from escpos.printer import Dummy

from restaurant.printing.tickets import Ticket, TicketItem, ticket_render, ticket_text


def ticket(**fields) -> Ticket:
    item = TicketItem(2, "宫保鸡丁", ["微辣", "加花生"], "少盐（不要葱）")
    values = {"restaurant": "蜀香小馆", "station": "热菜 Hot wok", "table": "3号桌 (3)",
              "at": "12:30", "round": 2, "number": "17", "items": [item]}  # fmt: skip
    return Ticket(**{**values, **fields})


def test_chinese_is_gb18030_in_chinese_mode_and_decodes_back():
    payload = ticket_render(ticket())
    assert payload.startswith(b"\x1b@\x1c&")  # initialise, then FS &: two-byte characters
    assert "宫保鸡丁".encode("gb18030") in payload
    assert "（不要葱）".encode("gb18030") in payload  # full-width punctuation too
    text = ticket_text(payload)
    for part in ("蜀香小馆", "热菜 Hot wok", "3号桌 (3)", "第2轮 Round 2  12:30",
                 "2 × 宫保鸡丁", "微辣、加花生", "少盐（不要葱）", "#17"):  # fmt: skip
        assert part in text


def test_the_magic_encoder_would_lose_what_is_not_in_its_cjk_range():
    """Why tickets.py writes GB18030 itself: python-escpos's text() turns a line without a
    character from U+4E00..U+9FA5 into code-page bytes, and full-width brackets into "?"."""
    printer = Dummy()
    printer.text("（微辣）")  # holds 微辣: all GB18030
    assert printer.output == "（微辣）".encode("gb18030")
    printer = Dummy()
    printer.text("（）、")  # no character in that range: a code page, and "?"
    assert printer.output == b"\x1bt\x00???"


def test_dishes_are_big_and_the_ticket_beeps_and_cuts():
    payload = ticket_render(ticket())
    big = b"\x1d!\x11"  # GS ! : double width and height, Chinese included
    assert big + b"\x1bE\x01\x1ba\x00" + "2 × 宫保鸡丁".encode("gb18030") in payload
    assert big + b"\x1bE\x01\x1ba\x01" + "3号桌 (3)".encode("gb18030") in payload
    assert b"\x1bB\x03\x02" in payload  # ESC B n t: the buzzer
    assert payload.endswith(b"\x1dV\x00")  # GS V: cut
    assert "REPRINT" not in ticket_text(payload)


def test_a_reprint_says_so_big_at_the_top():
    text = ticket_text(ticket_render(ticket(reprint=True)))
    assert text.splitlines()[0] == "** 重印 REPRINT **"


def test_a_void_slip_names_the_dish_and_why():
    slip = ticket(round=None, void=True, void_reason="客人取消", items=[TicketItem(1, "米饭")])
    text = ticket_text(ticket_render(slip))
    assert text.splitlines()[0] == "** 退菜 VOID **"
    assert "1 × 米饭" in text and "原因 Reason: 客人取消" in text and "Round" not in text
