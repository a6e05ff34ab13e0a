"""The check's arithmetic, in one place: dishes, discounts, charges, rounding and every split.

Pure functions on integers in the currency's minor unit (fen): no database, no float. Each
step that takes a percentage rounds half up to the minor unit once, and every division of an
amount among people is `allocate` (largest remainder), so a split always sums to exactly what
it splits: no fen lost, none made up.

The order of the steps (what a Chinese till prints, top to bottom):
1. each dish: unit price × qty; a voided dish is left out; a comped one is listed at 0;
2. line discounts, each capped at what is left of its line;
3. check discounts, on the dishes after line discounts, each capped at what is left;
4. service charge: ``service_percent`` of the dishes after all discounts;
5. cover charge: per guest (餐位费/茶位费), not discounted and not serviced;
6. rounding (抹零): the sum rounded *down* to the restaurant's unit; the difference is shown.
"""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from restaurant.core.allocate import allocate


@dataclass(frozen=True)
class Off:
    """One discount: exactly one of ``percent`` (0 < p ≤ 100) or ``amount`` (minor, > 0)."""

    percent: Decimal | None = None
    amount: int | None = None
    key: int | None = None  # the Discount row's id, carried through for display

    def of(self, base: int) -> int:
        """What it takes off ``base`` (≥ 0): never more than ``base``."""
        taken = percent_of(base, self.percent) if self.percent is not None else self.amount or 0
        return min(max(taken, 0), base)


@dataclass(frozen=True)
class Line:
    """A dish on the check. ``owners``: the diners who pay for it, equally (one: who added or
    claimed it; several: shared). Empty: nobody in particular (the table)."""

    key: int
    amount: int  # unit price × qty, minor units
    owners: tuple[int, ...] = ()
    comped: bool = False
    offs: tuple[Off, ...] = ()


@dataclass(frozen=True)
class Rules:
    service_percent: Decimal = Decimal(0)
    cover_charge: int = 0  # per guest, minor units
    guests: int = 0
    rounding_unit: int = 1  # 1: none; 10: to the jiao; 100: to the yuan (2-decimal currency)


@dataclass
class LineResult:
    key: int
    amount: int  # before anything: what it would have cost
    comped: bool
    discount: int  # its line discounts
    net: int  # what it adds to the dishes: 0 when comped
    owners: tuple[int, ...]
    shares: dict[int, int]  # net by owner


@dataclass
class Check:
    lines: list[LineResult]
    subtotal: int  # the dishes charged (comped ones left out), before any discount
    comped: int  # what the comped dishes would have cost
    line_discounts: int
    check_discounts: list[tuple[int | None, int]]  # (discount key, amount taken) in order
    service: int
    cover: int
    rounding: int  # taken off by 抹零 (≥ 0)
    total: int
    per_owner: dict[int | None, int] = field(default_factory=dict)  # None: nobody's (table)

    @property
    def discounts(self) -> int:
        return self.line_discounts + sum(taken for _, taken in self.check_discounts)

    @property
    def items_net(self) -> int:
        return sum(line.net for line in self.lines)

    def as_dict(self) -> dict:
        """JSON-ready; ``per_owner`` keys are diner ids as strings ("table" for None)."""
        return {
            "lines": [
                {
                    "key": r.key,
                    "amount": r.amount,
                    "comped": r.comped,
                    "discount": r.discount,
                    "net": r.net,
                    "owners": list(r.owners),
                    "shares": {str(k): v for k, v in r.shares.items()},
                }
                for r in self.lines
            ],
            "subtotal": self.subtotal,
            "comped": self.comped,
            "line_discounts": self.line_discounts,
            "check_discounts": [{"key": k, "amount": a} for k, a in self.check_discounts],
            "discounts": self.discounts,
            "service": self.service,
            "cover": self.cover,
            "rounding": self.rounding,
            "total": self.total,
            "per_owner": {("table" if k is None else str(k)): v for k, v in self.per_owner.items()},
        }


def percent_of(base: int, percent: Decimal) -> int:
    """``percent`` % of ``base`` minor units, rounded half up to a whole minor unit."""
    exact = Decimal(base) * Decimal(percent) / 100
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def equal_parts(amount: int, n: int) -> list[int]:
    """``amount`` in ``n`` equal parts (AA), the odd fen to the first ones: sums exactly."""
    if n < 1:
        raise ValueError("at least one part")
    return list(allocate(amount, {k: 1 for k in range(n)}).values())


def check_compute(lines: list[Line], check_offs: list[Off], rules: Rules) -> Check:
    """The check of ``lines`` (see the module's steps), and each owner's part of its total.

    Each line's net goes to its owners equally; the cover charge is split equally over the
    owners (per guest); the rest applied to the whole check (check discounts, service,
    rounding) is spread over the owners in proportion to what each pays so far, so that
    ``sum(per_owner.values()) == total`` always and no part is negative. With no owner at all
    (nothing ordered) the cover charge is the table's (key None)."""
    results: list[LineResult] = []
    for line in lines:
        base = 0 if line.comped else line.amount
        taken = 0
        for off in line.offs:
            taken += off.of(base - taken)
        net = base - taken
        owners = tuple(line.owners)
        shares = allocate(net, dict.fromkeys(owners, 1)) if owners else {}
        results.append(LineResult(line.key, line.amount, line.comped, taken, net, owners,
                                  shares))  # fmt: skip
    subtotal = sum(line.amount for line in lines if not line.comped)
    comped = sum(line.amount for line in lines if line.comped)
    line_discounts = sum(r.discount for r in results)
    items_net = sum(r.net for r in results)
    after = items_net
    applied = []
    for off in check_offs:
        taken = off.of(after)
        applied.append((off.key, taken))
        after -= taken
    service = percent_of(after, rules.service_percent) if rules.service_percent else 0
    cover = rules.cover_charge * max(rules.guests, 0)
    before_rounding = after + service + cover
    unit = max(rules.rounding_unit, 1)
    rounding = before_rounding % unit
    total = before_rounding - rounding

    per_owner: dict[int | None, int] = {}
    for r in results:
        for owner, part in r.shares.items():
            per_owner[owner] = per_owner.get(owner, 0) + part
        if not r.owners and r.net:
            per_owner[None] = per_owner.get(None, 0) + r.net
    # The cover charge is per guest: each diner who pays for something takes an equal part
    # of it (a check nobody ordered on leaves it to the table).
    diners = [k for k in per_owner if k is not None]
    if cover:
        for key, part in allocate(cover, dict.fromkeys(diners or [None], 1)).items():
            per_owner[key] = per_owner.get(key, 0) + part
    # The rest of what is check-wide (discounts, service, rounding; negative when discounts
    # outweigh) goes by what each already pays: never more off anyone than they pay.
    rest = total - items_net - cover
    if rest:
        weights = {k: max(v, 0) for k, v in per_owner.items()}
        if not weights:
            owners = [o for r in results for o in r.owners]
            weights = dict.fromkeys(owners, 0) if owners else {None: 0}
        for key, part in allocate(rest, weights).items():
            per_owner[key] = per_owner.get(key, 0) + part
    return Check(results, subtotal, comped, line_discounts, applied, service, cover, rounding,
                 total, per_owner)  # fmt: skip
