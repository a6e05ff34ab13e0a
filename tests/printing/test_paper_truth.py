"""Random lives of a round's dishes (voids, recalls, whole-round cancel and recall, reprints,
the worker sending, "may have printed" and staff settling it by what truly came out) and, at
the end, what each station's paper says of each dish: a live dish "make it", a voided one
not; and a back-on slip never lands on a dish the paper already says to make (cooked
twice). Seeded: a failure names its seed, and replays."""

import os
import random

import pytest

from restaurant.kitchen.items import item_recall, item_status_set
from restaurant.kitchen.models import OrderItem
from restaurant.kitchen.services import order_recall, order_status_set
from restaurant.printing import services
from restaurant.printing.models import PrintJob
from restaurant.realtime.errors import OpError
from tests.support.fake_printer import chicken, rice, round_submit

pytestmark = pytest.mark.django_db
SEEDS = int(os.environ.get("PAPER_SEEDS", "120"))  # the suite's; PAPER_SEEDS=1500 for more
S = PrintJob.State


class Paper:
    def __init__(self):
        self.truth = {}  # job id -> reached the printer
        self.log = []  # (station, job) in the order they reached the printer
        self.flags = []

    def reached(self, job):
        self.truth[job.pk] = True
        self.log.append(job)


def head(station_id):
    return (
        PrintJob.objects.filter(station_id=station_id, state__in=(S.QUEUED, S.CLAIMED, S.SENDING))
        .order_by("created_at", "pk")
        .first()
    )


def step(rng, paper, station_id, how):
    job = head(station_id)
    if job is None:
        return
    if job.state == S.QUEUED and how == "sending":
        PrintJob.objects.filter(pk=job.pk).update(state=S.SENDING, worker="w")
        return
    if job.state == S.QUEUED and how == "claim":
        PrintJob.objects.filter(pk=job.pk).update(state=S.CLAIMED, worker="w")
        return
    if job.state == S.CLAIMED:
        PrintJob.objects.filter(pk=job.pk).update(state=S.SENDING)
        return
    job = PrintJob.objects.get(pk=job.pk)  # the bytes as they are now
    if how == "uncertain":
        if rng.random() < 0.5:
            paper.reached(job)
        else:
            paper.truth[job.pk] = False
        PrintJob.objects.filter(pk=job.pk).update(state=S.UNCERTAIN)
    else:
        paper.reached(job)
        PrintJob.objects.filter(pk=job.pk).update(state=S.DONE)


def resolve(menu, paper, job):
    services.print_job_resolve(
        restaurant=menu.restaurant, job_id=job.pk, reprint=not paper.truth.get(job.pk)
    )


def replay(paper, item):
    said, flags = None, []
    for job in paper.log:
        if job.station_id != item.station_id or job.order_id != item.order_id:
            continue
        if job.kind == "ticket" and item.pk in job.item_ids:
            said = "make"
        elif job.kind == "void" and job.item_id == item.pk:
            if said != "make":
                flags.append(f"void slip #{job.pk} for a dish not on paper")
            said = "void"
        elif job.kind == "restore" and job.item_id == item.pk:
            if said == "make":
                flags.append(f"back-on slip #{job.pk} for a dish already to make (cooked twice)")
            said = "make"
    return said, flags


OPS = ["void", "recall", "cancel", "round_recall", "reprint", "step", "step", "step", "resolve"]


def one_life(menu, stations, seed):
    rng = random.Random(seed)
    paper = Paper()
    order = round_submit(
        menu, chicken(menu, qty=1, note="甲"), chicken(menu, qty=2, note="乙"), rice(menu)
    )
    items = list(OrderItem.objects.filter(order=order).order_by("pk"))
    history = []
    for _ in range(rng.randint(4, 16)):
        op = rng.choice(OPS)
        item = rng.choice(items)
        try:
            if op == "void":
                item_status_set(
                    restaurant=menu.restaurant, item_id=item.pk, status="voided", reason="误点"
                )
            elif op == "recall":
                item_recall(restaurant=menu.restaurant, item_id=item.pk)
            elif op == "cancel":
                order_status_set(
                    restaurant=menu.restaurant, order_id=order.pk, status="cancelled", reason="走了"
                )
            elif op == "round_recall":
                order_recall(restaurant=menu.restaurant, order_id=order.pk)
            elif op == "reprint":
                services.ticket_reprint(
                    restaurant=menu.restaurant, order_id=order.pk, station_id=item.station_id
                )
            elif op == "step":
                how = rng.choice(["done", "done", "uncertain", "sending", "claim"])
                step(rng, paper, item.station_id, how)
                op = f"step:{how}"
            elif op == "resolve":
                job = PrintJob.objects.filter(state=S.UNCERTAIN, resolved_at__isnull=True).first()
                if job is None:
                    continue
                resolve(menu, paper, job)
                said = "printed" if paper.truth.get(job.pk) else "reprint"
                op = f"resolve:{job.kind}#{job.pk}:{said}"
            history.append(f"{op}({item.note or item.name})")
        except OpError as error:
            history.append(f"{op}({item.note or item.name})!{error.code}")
    # The worker and staff finish everything.
    for _ in range(100):
        pending = PrintJob.objects.filter(state__in=(S.QUEUED, S.CLAIMED, S.SENDING))
        doubtful = PrintJob.objects.filter(state=S.UNCERTAIN, resolved_at__isnull=True)
        if not pending.exists() and not doubtful.exists():
            break
        for station_id in set(pending.values_list("station_id", flat=True)):
            step(rng, paper, station_id, "done")
        for job in doubtful:
            try:
                resolve(menu, paper, job)
            except OpError as error:
                history.append(f"final resolve #{job.pk}!{error.code}: {error}")
                services.print_job_resolve(restaurant=menu.restaurant, job_id=job.pk, reprint=False)
    problems = []
    for item in OrderItem.objects.filter(order=order):
        said, flags = replay(paper, item)
        live = item.status != "voided"
        if live and said != "make":
            problems.append(f"{item.note or item.name} is {item.status}: paper says {said}")
        if not live and said == "make":
            problems.append(f"{item.note or item.name} is voided: paper says make")
        problems += [f"{item.note or item.name}: {f}" for f in flags if "cooked twice" in f]
    return problems, history, [(j.pk, j.kind, j.item_ids or j.item_id) for j in paper.log]


@pytest.mark.parametrize("seed", range(SEEDS))
def test_paper_tells_the_truth(menu, printed, seed):
    problems, history, log = one_life(menu, printed, seed)
    assert not problems, f"{problems}\n ops: {history}\n paper: {log}"
