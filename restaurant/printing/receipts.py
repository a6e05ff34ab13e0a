"""The bytes of a printed check (ESC/POS) on the cashier's printer: the pre-bill (预结单) while
money is owed, the receipt (结账单) once it is paid, the same way restaurant/printing/tickets.py
writes a kitchen ticket: the printer in Chinese mode, every line raw GB18030, 42 columns.

A line with an amount at the right edge is padded with spaces by printed width (a Chinese
character takes two columns of font A). Text people typed (a dish's or the restaurant's name, a
discount's reason, a table's label) wraps within the line by printed width (between words where
there are spaces, anywhere in Chinese), never running past the paper's edge; its control
characters print as spaces, so none reaches the printer as a command. Amounts are formatted
for the currency with the Chinese locale (￥38.50, the full-width sign), whatever the page's
language: labels are bilingual instead.
The receipt's address, when it has one, prints as a native QR code (GS ( k): the diner scans
it for the receipt online.
"""

import re
from dataclasses import dataclass, field

from restaurant.menu.money import format_money
from restaurant.printing.tickets import RULE, WIDTH, _Slip

PAPER_LANGUAGE = "zh-hans"
QR_SIZE = 6  # module size in dots: about 25 mm across for a receipt's address


@dataclass
class ReceiptLine:
    qty: int
    name: str
    amount: int  # unit price × qty, minor units
    options: list[str] = field(default_factory=list)
    comped: bool = False  # given free (赠): listed, not charged
    discount: int = 0  # its line discounts, minor units


@dataclass
class ReceiptPayment:
    method: str  # as printed: "微信 WeChat Pay"
    amount: int  # minor units; a refund is negative
    tendered: int | None = None  # cash handed over
    change: int = 0


@dataclass
class Receipt:
    """What a printed check says. Amounts in minor units of ``currency``."""

    restaurant: str
    table: str
    at: str  # "YYYY-MM-DD HH:MM", the restaurant's time
    currency: str
    lines: list[ReceiptLine]
    subtotal: int
    total: int
    paid: int
    guests: int | None = None
    comped: int = 0
    line_discounts: int = 0
    discounts: list[tuple[str, int]] = field(default_factory=list)  # (reason, amount taken)
    service_percent: str = ""  # "10", "12.50": "" or "0" for none
    service: int = 0
    cover_each: int = 0
    cover: int = 0
    rounding: int = 0  # taken off by 抹零
    payments: list[ReceiptPayment] = field(default_factory=list)
    final: bool = False  # the meal has closed: its receipt, not a check to pay
    url: str = ""  # the receipt online (a closed check's), printed as a QR code
    number: str = ""  # printed small at the foot
    footer: str = "谢谢惠顾  Thank you"

    @property
    def balance(self) -> int:
        return self.total - self.paid


def width(text: str) -> int:
    """Columns ``text`` takes on the printer: in Chinese mode every character of two bytes or
    more (a Chinese one, and ×, ￥, 、 too) is printed two columns wide, ASCII one."""
    return sum(1 if ord(c) < 0x80 else 2 for c in text)


# C0 and C1 control characters: a line feed would break the layout, an ESC or GS start a
# printer command (cut the paper, open the cash drawer).
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# What a line breaks between: a run of printable ASCII (a word, never split unless longer than
# a line), a run of spaces, or any other single character (a Chinese one breaks anywhere).
TOKEN = re.compile(r"[!-~]+| +|[^ ]")


def wrap(text: str, columns: int = WIDTH, indent: str | None = None) -> list[str]:
    """``text`` as lines of at most ``columns`` printed columns. The lines after the first
    begin with ``indent`` (by default the spaces ``text`` begins with)."""
    text = CONTROL.sub(" ", text).rstrip()
    lead = text[: len(text) - len(text.lstrip(" "))]
    indent = lead if indent is None else indent
    lines: list[str] = []
    line, fresh = lead, True
    for token in TOKEN.findall(text[len(lead) :]):
        if token[0] == " ":
            if not fresh:
                line += token  # trimmed if the line breaks here
            continue
        while token:
            room = columns - width(line)
            if width(token) <= room:
                line, fresh, token = line + token, False, ""
            elif not fresh:  # the next line, then try again
                lines.append(line.rstrip())
                line, fresh = indent, True
            else:  # longer than a whole line: cut it where the line ends
                cut = 1
                while cut < len(token) and width(token[: cut + 1]) <= room:
                    cut += 1
                lines.append(line + token[:cut])
                line, token = indent, token[cut:]
    if not fresh or not lines:
        lines.append(line.rstrip())
    return lines


def row(left: str, right: str, columns: int = WIDTH, indent: str | None = None) -> list[str]:
    """``left`` and ``right`` on one line, ``right`` at the edge; ``left`` wrapped when it does
    not fit (`wrap`), ``right`` at the edge of its last line, or alone under it when there is no
    room left there."""
    right = CONTROL.sub(" ", right)
    lines = wrap(left, columns, indent)
    gap = columns - width(lines[-1]) - width(right)
    if gap >= 1:
        lines[-1] += " " * gap + right
    else:
        lines.append(" " * max(columns - width(right), 0) + right)
    return lines


def receipt_render(receipt: Receipt) -> bytes:
    """The slip: title, restaurant, table, time and guests, each dish with its amount (comped
    marked 赠, line discounts under it), the charges down to the total (big), payments (cash
    with what was handed over and the change), the balance or 已结清 PAID (big), the QR code
    of the receipt online, the footer, the number; then the cut."""
    slip = _Slip()

    def money(minor: int) -> str:
        # The full-width ￥ is in GBK, which every Chinese printer's font has; ¥ is not.
        return format_money(minor, receipt.currency, PAPER_LANGUAGE).replace("¥", "￥")

    def rows(left: str, right: str, indent: str | None = None, **style) -> None:
        columns = WIDTH // style.get("size", 1)
        for text in row(left, right, columns, indent):
            slip.line(text, **style)

    def say(text: str, indent: str | None = None, **style) -> None:
        for part in wrap(text, WIDTH // style.get("size", 1), indent):
            slip.line(part, **style)

    settled = receipt.balance == 0
    title = "结账单 RECEIPT" if receipt.final or settled else "预结单 PRE-BILL"
    say(receipt.restaurant, bold=True, align="center")
    say(title, size=2, bold=True, align="center")
    say(receipt.table, size=2, bold=True, align="center")
    guests = f"{receipt.guests}位 Guests {receipt.guests}" if receipt.guests else ""
    say(f"{receipt.at}  {guests}".strip())
    slip.line(RULE)
    for line in receipt.lines:
        rows(f"{line.qty} × {line.name}", "赠 FREE" if line.comped else money(line.amount),
             indent="    ")  # fmt: skip
        if line.options:
            say("  " + "、".join(line.options))
        if line.comped:
            say(f"  原价 Was {money(line.amount)}")
        if line.discount:
            rows("  优惠 Discount", money(-line.discount))
    slip.line(RULE)
    rows("小计 Subtotal", money(receipt.subtotal))
    if receipt.comped:
        rows("赠菜 On the house", f"({money(receipt.comped)})")
    if receipt.line_discounts:
        rows("单品优惠 Dish discounts", money(-receipt.line_discounts))
    for reason, taken in receipt.discounts:
        rows(f"整单优惠 Discount {reason}".strip(), money(-taken), indent="  ")
    if receipt.service:
        rows(f"服务费 Service {receipt.service_percent}%", money(receipt.service))
    if receipt.cover:
        guests = receipt.cover // receipt.cover_each if receipt.cover_each else 0
        rows(f"餐位费 Cover {guests} × {money(receipt.cover_each)}", money(receipt.cover))
    if receipt.rounding:
        rows("抹零 Rounding", money(-receipt.rounding))
    rows("合计 TOTAL", money(receipt.total), size=2, bold=True)
    if receipt.payments:
        slip.line(RULE)
        for payment in receipt.payments:
            label = payment.method if payment.amount >= 0 else f"退款 Refund {payment.method}"
            rows(label, money(payment.amount))
            if payment.tendered:
                say(f"  收 Tendered {money(payment.tendered)}  找 Change {money(payment.change)}")
        rows("已付 Paid", money(receipt.paid))
    slip.line(RULE)
    if settled:
        slip.line("已结清 PAID", size=2, bold=True, align="center")
    elif receipt.balance > 0:
        rows("待付 DUE", money(receipt.balance), size=2, bold=True)
    else:
        rows("多付 PAID OVER", money(-receipt.balance), bold=True)
    if receipt.url:
        slip.printer.set(align="center")
        slip.printer.qr(receipt.url, native=True, size=QR_SIZE)
        slip.line("扫码查看电子小票 Scan for your receipt", align="center")
    say(receipt.footer, align="center")
    if receipt.number:
        say(f"#{receipt.number}", align="right")
    # No buzzer (the kitchen's slips beep; the counter hands this one over): feed and cut.
    slip.printer.set(align="left", bold=False, custom_size=True, width=1, height=1)
    slip.printer.cut()
    return slip.printer.output
