"""The night's report as files for the books: one CSV (its sections one after the other, a
blank line between) and one XLSX (a sheet per section).

Both are built from the same sections (`sections`): a title, a header row and rows whose
cells are text, whole numbers, `Money` (minor units) or `When` (a time). Money goes out in the
currency's major unit with its decimals: a Decimal string in the CSV ("1234.50", never a
float's digits), a number formatted with those decimals in the XLSX. Headers and titles are in
the active language; the CSV is UTF-8 with a byte-order mark, so that Excel reads the Chinese.

Text in the report is typed by people (a reason, a dish's or a table's name, a person's name):
a spreadsheet must never run it. In the CSV a text cell starting with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return is prefixed with ``'`` (OWASP's advice on CSV injection);
in the XLSX every text cell is stored as a string, never a formula, without the characters a
workbook may not hold. Numbers (money, counts, times) are not text and stay numbers.
"""

import csv
import datetime
import io
from dataclasses import dataclass

from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from restaurant.menu.money import decimals, to_major


@dataclass(frozen=True)
class Money:
    minor: int


@dataclass(frozen=True)
class When:
    iso: str | None


@dataclass
class Section:
    key: str
    title: str
    headers: list[str]
    rows: list[list]


def method_label(method: str) -> str:
    return {
        "cash": _("Cash"), "card": _("Bank card"), "wechat": _("WeChat Pay"),
        "alipay": _("Alipay"), "other": _("Other"),
    }.get(method, method)  # fmt: skip


def in_language(row: dict, language: str | None = None) -> str:
    """A bilingual row's name in the page's language (English where it has one)."""
    language = language or get_language() or "zh-hans"
    if language.startswith("en") and row.get("name_en"):
        return row["name_en"]
    return row.get("name") or ""


def dish_name(row: dict, language: str | None = None) -> str:
    """A report row's dish (``dish``, ``dish_en``) in the page's language."""
    return in_language({"name": row.get("dish", ""), "name_en": row.get("dish_en", "")}, language)


def table_name(table: dict) -> str:
    return table.get("label") or str(table.get("number", ""))


def discount_label(d: dict, currency: str) -> str:
    if d.get("percent"):
        return f"{d['percent'].rstrip('0').rstrip('.')}%"
    return str(to_major(d.get("amount") or 0, currency))


def kind_label(kind: str) -> str:
    return _("Taken back") if kind == "void" else _("On the house")


def sections(report: dict) -> list[Section]:
    """The report's sections, in the order the page shows them."""
    c, avg, pay = report["checks"], report["averages"], report["payments"]
    closed = report.get("closed")
    summary = [
        [_("Restaurant"), in_language(report["restaurant"])],
        [_("Business day"), report["date"]],
        [_("Day starts at"), report["day_starts_at"]],
        [_("Made at"), When(report["generated_at"])],
        [_("Day closed by"), closed["by"] if closed else ""],
        [_("Day closed at"), When(closed["at"] if closed else None)],
        [_("Checks"), c["count"]],
        [_("Guests"), c["covers"]],
        [_("Dishes (before discounts)"), Money(c["gross"])],
        [_("Discounts"), Money(c["discounts"])],
        [_("Service charge"), Money(c["service"])],
        [_("Cover charge"), Money(c["cover"])],
        [_("Rounding"), Money(c["rounding"])],
        [_("Net sales"), Money(c["net"])],
        [_("On the house (value)"), Money(c["comped"])],
        [_("Paid on these checks"), Money(c["paid"])],
        [_("Owed on these checks"), Money(c["owed"])],
        [_("Average per check"), Money(avg["per_check"])],
        [_("Average per guest"), Money(avg["per_cover"])],
        [_("Payments, net"), Money(pay["total"]["net"])],
        [_("Cash handed over"), Money(pay["cash"]["tendered"])],
        [_("Change given"), Money(pay["cash"]["change"])],
        [_("Cash, net"), Money(pay["cash"]["net"])],
    ]
    payments = [
        [method_label(m["method"]), m["count"], Money(m["amount_in"]), m["refund_count"],
         Money(m["refunds"]), Money(m["net"])]
        for m in pay["methods"]
    ]  # fmt: skip
    t = pay["total"]
    payments.append([_("Total"), t["count"], Money(t["amount_in"]), t["refund_count"],
                     Money(t["refunds"]), Money(t["net"])])  # fmt: skip
    currency = report["currency"]

    def sales(rows: list[dict]) -> list[list]:
        return [[in_language(r) or _("(none)"), r["qty"], Money(r["amount"])] for r in rows]

    return [
        Section("summary", pgettext("report", "Summary"), [_("Item"), _("Value")], summary),
        Section(
            "payments",
            _("Payments by method"),
            [
                _("Payment method"),
                _("Payments"),
                _("In"),
                pgettext("count", "Refunds"),
                _("Refunded"),
                _("Net"),
            ],
            payments,
        ),
        Section(
            "refunds",
            _("Refunds"),
            [_("Table"), _("Payment method"), _("Amount"), _("Reason"), _("By"), _("Time")],
            [
                [
                    table_name(r["table"]),
                    method_label(r["method"]),
                    Money(r["amount"]),
                    r["reason"],
                    r["by"],
                    When(r["at"]),
                ]
                for r in pay["refunds"]
            ],
        ),
        Section(
            "categories",
            _("Sales by category"),
            [_("Category"), _("Qty"), _("Amount")],
            sales(report["categories"]),
        ),
        Section(
            "stations",
            _("Sales by station"),
            [_("Station"), _("Qty"), _("Amount")],
            sales(report["stations"]),
        ),
        Section(
            "dishes",
            _("Sales by dish"),
            [_("Dish"), _("Qty"), _("Amount")],
            sales(report["dishes"]),
        ),
        Section(
            "comped",
            _("On the house"),
            [_("Dish"), _("Qty"), _("Value")],
            sales(report["comped_dishes"]),
        ),
        Section(
            "discounts",
            _("Discounts"),
            [
                _("Table"),
                _("On"),
                _("Discount"),
                _("Taken"),
                _("Reason"),
                _("By"),
                _("Time"),
                _("Removed by"),
            ],
            [
                [
                    table_name(d["table"]),
                    dish_name(d) or _("Whole check"),
                    discount_label(d, currency),
                    Money(d["taken"]),
                    d["reason"],
                    d["by"],
                    When(d["at"]),
                    d["removed_by"] or (_("Removed") if d["removed"] else ""),
                ]
                for d in report["discounts"]
            ],
        ),
        Section(
            "adjustments",
            _("Taken back and on the house"),
            [
                _("Kind"),
                _("Table"),
                _("Dish"),
                _("Qty"),
                _("Amount"),
                _("Reason"),
                _("By"),
                _("Approved by"),
                _("Time"),
            ],
            [
                [
                    kind_label(a["kind"]),
                    table_name(a["table"]),
                    dish_name(a),
                    a["qty"],
                    Money(a["amount"]),
                    a["reason"],
                    a["by"],
                    a["approved_by"],
                    When(a["at"]),
                ]
                for a in report["voids_and_comps"]
            ],
        ),
        Section(
            "unpaid",
            _("Closed unpaid"),
            [_("Table"), _("Total"), _("Paid"), _("Owed"), _("Reason"), _("By"), _("Closed at")],
            [
                [
                    table_name(u["table"]),
                    Money(u["total"]),
                    Money(u["paid"]),
                    Money(u["balance"]),
                    u["reason"],
                    u["by"],
                    When(u["closed_at"]),
                ]
                for u in report["unpaid"]
            ],
        ),
        Section(
            "open",
            _("Still open"),
            [_("Table"), _("Opened at"), _("Guests"), _("Total"), _("Paid"), _("Balance")],
            [
                [
                    table_name(o["table"]),
                    When(o["opened_at"]),
                    o["guests"] or "",
                    Money(o["total"]),
                    Money(o["paid"]),
                    Money(o["balance"]),
                ]
                for o in report["open_meals"]
            ],
        ),
        Section(
            "checks",
            _("Checks"),
            [
                _("Table"),
                _("Closed at"),
                _("Closed by"),
                _("Guests"),
                _("Dishes"),
                _("Discounts"),
                _("Service charge"),
                _("Cover charge"),
                _("Rounding"),
                _("Total"),
                _("On the house"),
                _("Paid"),
                _("Unpaid because"),
            ],
            [
                [
                    table_name(k["table"]),
                    When(k["closed_at"]),
                    k["closed_by"],
                    k["guests"],
                    Money(k["subtotal"]),
                    Money(k["discounts"]),
                    Money(k["service"]),
                    Money(k["cover"]),
                    Money(k["rounding"]),
                    Money(k["total"]),
                    Money(k["comped"]),
                    Money(k["paid"]),
                    k["unpaid_reason"],
                ]
                for k in report["check_list"]
            ],
        ),
    ]


def _local_time(iso: str | None) -> datetime.datetime | None:
    """The time as the restaurant's clock read it (the report keeps local ISO times)."""
    return datetime.datetime.fromisoformat(iso).replace(tzinfo=None, microsecond=0) if iso else None


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_text(text: str) -> str:
    """Text as a CSV cell a spreadsheet shows and never runs: ``'`` before a formula's start."""
    return "'" + text if text.startswith(FORMULA_START) else text


def _csv_cell(value, currency: str):
    if isinstance(value, Money):
        return str(to_major(value.minor, currency))
    if isinstance(value, When):
        at = _local_time(value.iso)
        return at.strftime("%Y-%m-%d %H:%M") if at else ""
    if isinstance(value, str):
        return csv_text(value)
    return "" if value is None else value


def report_csv(report: dict) -> bytes:
    """The report as one CSV: each section a title row, a header row and its rows."""
    out = io.StringIO()
    writer = csv.writer(out)
    currency = report["currency"]
    for n, section in enumerate(sections(report)):
        if n:
            writer.writerow([])
        writer.writerow([csv_text(section.title)])
        writer.writerow([csv_text(header) for header in section.headers])
        for row in section.rows:
            writer.writerow([_csv_cell(cell, currency) for cell in row])
    return out.getvalue().encode("utf-8-sig")


def _sheet_title(title: str, taken: set[str]) -> str:
    """An Excel sheet name: at most 31 characters, none of []:*?/\\, unique in the book."""
    clean = "".join(" " if ch in "[]:*?/\\" else ch for ch in title).strip()[:31] or "Sheet"
    name, n = clean, 2
    while name.lower() in taken:
        suffix = f" {n}"
        name, n = clean[: 31 - len(suffix)] + suffix, n + 1
    taken.add(name.lower())
    return name


def report_xlsx(report: dict) -> bytes:
    """The report as a workbook, a sheet per section; money as numbers in the major unit."""
    currency = report["currency"]
    places = decimals(currency)
    money_format = "#,##0" + ("." + "0" * places if places else "")
    book = Workbook()
    book.remove(book.active)
    taken: set[str] = set()
    bold = Font(bold=True)
    for section in sections(report):
        sheet = book.create_sheet(_sheet_title(section.title, taken))
        sheet.append(section.headers)
        for cell in sheet[1]:
            cell.font = bold
        widths = [len(h) for h in section.headers]
        for r, row in enumerate(section.rows, start=2):
            for col, value in enumerate(row, start=1):
                cell = sheet.cell(row=r, column=col)
                if isinstance(value, Money):
                    cell.value = to_major(value.minor, currency)
                    cell.number_format = money_format
                    width = len(str(cell.value)) + 2
                elif isinstance(value, When):
                    cell.value = _local_time(value.iso)
                    cell.number_format = "yyyy-mm-dd hh:mm"
                    width = 16
                elif isinstance(value, str):
                    cell.value = ILLEGAL_CHARACTERS_RE.sub("", value)
                    cell.data_type = "s"  # what was typed, shown as typed: never a formula
                    width = len(cell.value)
                else:
                    cell.value = value
                    width = len(str(value)) if value is not None else 0
                if col <= len(widths):
                    widths[col - 1] = max(widths[col - 1], width)
                else:
                    widths.append(width)
        for col, width in enumerate(widths, start=1):
            # CJK characters take two columns' width.
            sheet.column_dimensions[get_column_letter(col)].width = min(max(width, 6) * 1.6, 60)
        sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
