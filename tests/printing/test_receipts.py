"""A check on paper (restaurant/printing/receipts.py), read back through `ticket_text`: the
pre-bill and the receipt say every figure of the check, bilingual, amounts at the right edge
of the 42 columns, in bytes a Chinese printer's font has (GBK: the full-width ￥), and a
closed check's receipt carries its address as a native QR code."""

from restaurant.printing.receipts import (
    Receipt,
    ReceiptLine,
    ReceiptPayment,
    receipt_render,
    row,
    width,
    wrap,
)
from restaurant.printing.tickets import CHINESE_MODE, WIDTH, ticket_text


def dinner(**fields) -> Receipt:
    return Receipt(**{
        "restaurant": "测试小馆 Test", "table": "5号桌 Table 5", "at": "2026-12-01 21:30",
        "currency": "CNY", "guests": 4,
        "lines": [
            ReceiptLine(2, "宫保鸡丁", 7600, options=["微辣", "加花生"]),
            ReceiptLine(1, "米饭", 300, comped=True),
            ReceiptLine(1, "东坡肉", 6800, discount=680),
        ],
        "subtotal": 14400, "comped": 300, "line_discounts": 680,
        "discounts": [("会员 member", 1372)], "service_percent": "10", "service": 1235,
        "cover_each": 300, "cover": 1200, "rounding": 83, "total": 14700, "paid": 0,
        **fields,
    })  # fmt: skip


def lines_of(receipt: Receipt) -> list[str]:
    return ticket_text(receipt_render(receipt)).splitlines()


def right(lines: list[str], label: str) -> str:
    """The amount at the right edge of the line starting with ``label``."""
    line = next(x for x in lines if x.startswith(label))
    return line[len(label) :].strip()


def test_a_pre_bill_says_every_figure_of_the_check():
    lines = lines_of(dinner())
    assert lines[:3] == ["测试小馆 Test", "预结单 PRE-BILL", "5号桌 Table 5"]
    assert lines[3] == "2026-12-01 21:30  4位 Guests 4"
    assert right(lines, "2 × 宫保鸡丁") == "￥76.00"
    assert "  微辣、加花生" in lines
    assert right(lines, "1 × 米饭") == "赠 FREE" and "  原价 Was ￥3.00" in lines
    assert right(lines, "1 × 东坡肉") == "￥68.00" and right(lines, "  优惠 Discount") == "-￥6.80"
    assert right(lines, "小计 Subtotal") == "￥144.00"
    assert right(lines, "赠菜 On the house") == "(￥3.00)"
    assert right(lines, "单品优惠 Dish discounts") == "-￥6.80"
    assert right(lines, "整单优惠 Discount 会员 member") == "-￥13.72"
    assert right(lines, "服务费 Service 10%") == "￥12.35"
    assert right(lines, "餐位费 Cover 4 × ￥3.00") == "￥12.00"
    assert right(lines, "抹零 Rounding") == "-￥0.83"
    assert right(lines, "合计 TOTAL") == "￥147.00"
    assert right(lines, "待付 DUE") == "￥147.00"
    assert "已结清 PAID" not in lines and not any(x.startswith("[QR") for x in lines)
    assert lines[-1] == "✂"


def test_amounts_sit_at_the_right_edge_of_42_columns():
    payload = receipt_render(dinner(number="12-abc123"))
    assert payload.startswith(b"\x1b@" + CHINESE_MODE)
    for line in ticket_text(payload).splitlines():
        if line.startswith("合计") or line.startswith("待付"):
            assert width(line) == WIDTH // 2  # double width: 21 columns
        elif "￥" in line and not line.startswith(" ") and "Was" not in line:
            assert width(line) == WIDTH, line
    assert row("1 × " + "长" * 18, "￥128.00") == ["1 × " + "长" * 18, " " * 34 + "￥128.00"]
    assert row("1 × " + "长" * 20, "￥128.00") == [
        "1 × " + "长" * 18,
        "长长" + " " * 30 + "￥128.00",
    ]
    assert width("宫保鸡丁 ×￥1") == 4 * 2 + 1 + 2 + 2 + 1


def test_the_paper_is_in_gbk_the_yen_full_width():
    payload = receipt_render(dinner())
    text = ticket_text(payload)
    assert "?" not in text and "\ufffd" not in text
    assert "¥" not in text  # U+00A5 is no GBK character: a printer's font lacks it
    assert "￥147.00".encode("gbk") in payload
    for line in text.splitlines():
        if line != "✂":  # the cut, as ticket_text says it
            line.encode("gbk")  # every character in the printer's font


def test_a_receipt_says_the_payments_paid_and_its_address_as_a_qr_code():
    url = "http://127.0.0.1:8000/receipt/AbC_dEf-123/"
    receipt = dinner(
        paid=14700, final=True, url=url, number="12-abc123",
        payments=[ReceiptPayment("现金 Cash", 10000, tendered=10000, change=0),
                  ReceiptPayment("微信 WeChat Pay", 5000),
                  ReceiptPayment("微信 WeChat Pay", -300)],
    )  # fmt: skip
    payload = receipt_render(receipt)
    lines = ticket_text(payload).splitlines()
    assert lines[1] == "结账单 RECEIPT"
    assert right(lines, "现金 Cash") == "￥100.00"
    assert "  收 Tendered ￥100.00  找 Change ￥0.00" in lines
    assert right(lines, "微信 WeChat Pay") == "￥50.00"
    assert right(lines, "退款 Refund 微信 WeChat Pay") == "-￥3.00"
    assert right(lines, "已付 Paid") == "￥147.00"
    assert "已结清 PAID" in lines and not any(x.startswith("待付") for x in lines)
    assert f"[QR {url}]" in lines
    assert "扫码查看电子小票 Scan for your receipt" in lines and "#12-abc123" in lines
    store = b"\x1d(k" + (len(url) + 3).to_bytes(2, "little") + b"1P0" + url.encode()
    assert store in payload  # GS ( k: the code's data, printed by the printer itself
    assert b"\x1bB" not in payload  # no buzzer: that is the kitchen's


def test_money_paid_over_and_a_yen_currency():
    lines = lines_of(dinner(paid=15000))
    assert right(lines, "多付 PAID OVER") == "￥3.00"
    japanese = Receipt(restaurant="寿司", table="1号桌 Table 1", at="2026-12-01 12:00",
                       currency="JPY", lines=[ReceiptLine(1, "寿司", 1200)], subtotal=1200,
                       total=1200, paid=0)  # fmt: skip
    assert right(lines_of(japanese), "合计 TOTAL") == "JP￥1,200"


def test_long_text_wraps_within_the_42_columns_by_printed_width():
    """What people typed (the restaurant's and a table's name, a dish, its options, a reason)
    never runs past the paper: it wraps by printed width (a Chinese character is two columns,
    big print half as many), between words where there are spaces; the amount stays at the
    right edge; every word is still there."""
    reason = "会员生日特别优惠 birthday treat for a member of ten years, with thanks from the chef"
    dish = "秘制手撕包菜配五花肉片和干辣椒段大火爆炒"  # 20 characters: 40 columns, and "1 × "
    receipt = dinner(
        restaurant="蜀香小馆 Shu Xiang Sichuan Kitchen & Noodle Bar (Chaoyang Joy City branch)",
        table="包间A 牡丹厅 Peony Room (upstairs)",
        lines=[
            ReceiptLine(1, dish, 6800, options=["微辣", "不要香菜", "加一份米饭", "多放花椒",
                                                 "少油少盐", "打包带走一半"]),
            ReceiptLine(2, "Slow-braised pork belly with preserved mustard greens and rice",
                        7600, discount=760),
        ],
        discounts=[(reason, 1372)],
        payments=[ReceiptPayment("现金 Cash", 14700, tendered=1014700, change=1000000)],
        paid=14700,
    )  # fmt: skip
    lines = lines_of(receipt)
    for line in lines:
        assert width(line) <= WIDTH, line
    table_at = lines.index("结账单 RECEIPT") + 1
    assert lines[table_at : table_at + 2] == ["包间A 牡丹厅 Peony", "Room (upstairs)"]  # big
    assert all(width(x) <= WIDTH // 2 for x in lines[table_at : table_at + 2])
    assert right(lines, "合计 TOTAL") == "￥147.00" and width(
        next(x for x in lines if x.startswith("合计"))) == WIDTH // 2  # fmt: skip
    first = next(i for i, x in enumerate(lines) if x.startswith("1 × "))
    assert lines[first] == "1 × " + dish[:18]  # 41 columns: the 19th character would be 43
    assert lines[first + 1].startswith("    " + dish[18:]) and lines[first + 1].endswith("￥68.00")
    assert width(lines[first + 1]) == WIDTH  # the amount at the edge of the name's last line
    said = " ".join(x.strip() for x in lines)
    for words in (reason.split(), ["Slow-braised", "preserved", "mustard"]):
        for word in words:
            assert word in said, word  # a word is never cut between two lines
    joined = "".join(x.strip() for x in lines)  # Chinese breaks anywhere: all of it is there
    assert joined.count(dish) == 1 and "、".join(receipt.lines[0].options) in joined
    assert any(x.strip().startswith("收 Tendered ￥10,147.00") for x in lines)


def test_typed_control_characters_print_as_spaces_never_as_commands():
    """A line feed would break the layout; a GS V cuts the paper, ESC p opens the drawer."""
    receipt = dinner(lines=[ReceiptLine(1, "鱼\n香\x1dV\x00肉丝\x1bp\x00\x19\xfa", 3800)],
                     discounts=[("a\r\nb\tc", 100)])  # fmt: skip
    payload = receipt_render(receipt)
    text = ticket_text(payload)
    assert text.count("✂") == 1 and b"\x1bp" not in payload
    lines = text.splitlines()
    assert any(x.startswith("1 × 鱼 香 V 肉丝 p") for x in lines)
    assert right(lines, "整单优惠 Discount a  b c") == "-￥1.00"
    assert wrap("a\x00b\x1b c", 42) == ["a b  c"]
