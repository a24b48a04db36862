"""The moderation queue: everything with open reports, grouped by item, with its context, its
author's history and earlier decisions; read in a fixed number of queries whatever its length.

It knows content only through the table of kinds (civic.moderation.kinds), so that every
registered kind appears in it. What moderators do with it is in civic.moderation.services.actions."""

from dataclasses import dataclass, field
from datetime import datetime
from math import ceil
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import and_, case, false, func, or_, select

from civic.accounts.models import User
from civic.audit.models import AuditEntry
from civic.common.pagination import offset_of, page_number
from civic.errors import InvalidInput, NotFound
from civic.extensions import db
from civic.moderation.kinds import KINDS, kind_named, load_items
from civic.moderation.models import Report, ReportReason, ReportState
from civic.permissions import ensure_can

PER_PAGE = 20
REPORTS_SHOWN = 10  # per item, the latest; the reasons of all are counted
SORTS = ("oldest", "most_reported")
AREA_MAX_LENGTH = 200
KEPT_GROUPINGS = 16  # orders of the whole queue kept per process (one per filter combination without an area)
MAX_TICKED = 5_000  # items one bulk form may name (a page shows PER_PAGE; hide-all has no such limit)


@dataclass(frozen=True)
class QueueFilters:
    """What the moderator asked for; unknown values are ignored (the whole queue), never an error."""

    sort: str = "oldest"
    kind: str | None = None
    reason: str | None = None
    area: str | None = None

    @classmethod
    def parse(cls, *, sort=None, kind=None, reason=None, area=None):
        return cls(
            sort=sort if sort in SORTS else "oldest",
            kind=kind if kind in KINDS else None,
            reason=reason if reason in set(ReportReason) else None,
            area=(area or "").strip()[:AREA_MAX_LENGTH] or None,
        )

    def as_args(self):
        """The filters as query-string arguments (for the page links and the forms' way back)."""
        args = {"sort": self.sort, "kind": self.kind, "reason": self.reason, "area": self.area}
        return {key: value for key, value in args.items() if value}


@dataclass(frozen=True)
class ShownReport:
    reason: str
    note: str | None
    created_at: datetime
    reporter_name: str  # the queue is for moderators only: reporters are never named to anyone else


@dataclass
class QueueItem:
    kind: Any  # the ModeratedKind
    content_id: int
    report_count: int
    first_reported_at: datetime
    item: Any = None  # None: the content is gone
    reasons: list = field(default_factory=list)  # [(reason, how many open reports give it)], most first
    reports: list = field(default_factory=list)  # the latest REPORTS_SHOWN open reports (ShownReport), newest first
    context: dict = field(default_factory=dict)
    author: Any = None
    author_hidden: int = 0  # how many of the author's items are hidden (all kinds)
    author_open_reports: int = 0  # open reports on anything the author wrote (all kinds)
    decisions: list = field(default_factory=list)  # audit entries about this item, oldest first

    @property
    def key(self):
        """The value of the item's checkbox in the bulk form."""
        return f"{self.kind.name}:{self.content_id}"

    @property
    def is_hidden(self):
        return self.item is not None and self.kind.is_hidden(self.item)


@dataclass
class QueuePage:
    """One page of the queue; the attributes the pagination partial reads."""

    items: list
    page: int
    per_page: int
    total: int

    @property
    def pages(self):
        return max(1, ceil(self.total / self.per_page))

    @property
    def has_prev(self):
        return self.page > 1

    @property
    def has_next(self):
        return self.page < self.pages

    @property
    def prev_num(self):
        return self.page - 1

    @property
    def next_num(self):
        return self.page + 1


def parse_item_keys(values):
    """["comment:4", ...] from the bulk form -> {kind name: [ids]}; anything else is ignored. More than
    MAX_TICKED values are refused whole."""
    if len(values) > MAX_TICKED:
        raise InvalidInput(_("Tick at most %(num)d items at a time.", num=MAX_TICKED), field="item")
    chosen = {}
    for value in values:
        name, _sep, number = str(value).partition(":")
        if name in KINDS and number.isdigit() and 0 < int(number) < 2**31:
            chosen.setdefault(name, set()).add(int(number))
    return {name: sorted(ids) for name, ids in chosen.items()}


def _grouped(filters):
    """The open reports grouped by item, filtered: (kind, id, how many, first reported)."""
    count = func.count(Report.id).label("reports")
    first = func.min(Report.created_at).label("first")
    query = (
        select(Report.content_kind, Report.content_id, count, first)
        .where(Report.state == ReportState.OPEN, Report.content_kind.in_(sorted(KINDS)))
        .group_by(Report.content_kind, Report.content_id)
    )
    if filters.kind:
        query = query.where(Report.content_kind == filters.kind)
    if filters.reason:
        query = query.having(func.sum(case((Report.reason == filters.reason, 1), else_=0)) > 0)
    if filters.area:
        in_area = [
            and_(Report.content_kind == kind.name, Report.content_id.in_(_ids_in_area(kind, filters.area)))
            for kind in KINDS.values()
            if kind.area is not None
        ]
        query = query.where(or_(*in_area) if in_area else false())
    order = (count.desc(), first, Report.content_kind, Report.content_id)
    if filters.sort == "oldest":
        order = (first, Report.content_kind, Report.content_id)
    return query.order_by(*order)


def _ids_in_area(kind, area):
    areas = kind.area().subquery()
    return select(areas.c.id).where(areas.c.area == area)


def queue_areas():
    """Every area some reported kind knows, for the filter's choices (one query per kind with areas)."""
    found = set()
    for kind in KINDS.values():
        if kind.area is not None:
            areas = kind.area().subquery()
            found.update(db.session.scalars(select(areas.c.area).distinct()))
    return sorted(found)


def moderation_queue(actor, filters=QueueFilters(), *, page=1, per_page=PER_PAGE):
    """One page of the queue (a QueuePage of QueueItems)."""
    ensure_can(actor, "moderation.queue")
    page = page_number(page)
    start = offset_of(page, per_page)
    groups = _kept_groups(filters)
    if groups is not None:
        rows, total = groups[start : start + per_page], len(groups)
    else:
        rows, total = _page_of_groups(filters, start, per_page)
    items = [QueueItem(KINDS[kind], content_id, n, first) for kind, content_id, n, first in rows]
    _fill(items)
    return QueuePage(items=items, page=page, per_page=per_page, total=total)


def _page_of_groups(filters, start, per_page):
    """One scan of the open reports: the page's groups, each row carrying how many groups there are."""
    grouped = _grouped(filters).add_columns(func.count().over().label("total"))
    rows = db.session.execute(grouped.limit(per_page).offset(start)).all()
    if rows:
        total = rows[0].total
    elif start:  # past the end: the count alone (a page that shows nothing)
        total = db.session.scalar(select(func.count()).select_from(_grouped(filters).order_by(None).subquery()))
    else:
        total = 0
    return [tuple(row[:4]) for row in rows], total


def _kept_groups(filters):
    """Every group of the queue in order, for filters without an area, kept per process while the
    set of open reports is the same: grouping every open report is the queue's costliest query (tens
    of thousands of rows), and a moderator moving between pages and filters asks it again and again.
    "The same" is read from the database on each request (_open_reports_fingerprint), so no process
    shows a queue older than its request. None: not kept (an area filter, whose membership this
    does not see)."""
    if filters.area is not None or KEPT_GROUPINGS <= 0:
        return None
    fingerprint = tuple(db.session.execute(_open_reports_fingerprint()).one())
    kept = current_app.extensions.setdefault("civic_queue_groups", {})
    found = kept.get(filters)
    if found is not None and found[0] == fingerprint:
        return found[1]
    groups = [tuple(row) for row in db.session.execute(_grouped(filters))]
    if len(kept) >= KEPT_GROUPINGS:
        kept.clear()
    kept[filters] = (fingerprint, groups)
    return groups


def _open_reports_fingerprint():
    """How many reports are open, the largest open id and when that report was made: reports only
    leave the open state (decided, or deleted with their reporter's account) and new ones take a
    larger id, so a changed set of open reports changes the count or the largest id; and an id
    reused after the largest report was deleted (SQLite) has a later time. Three index look-ups."""
    is_open = Report.state == ReportState.OPEN
    largest = select(func.max(Report.id)).where(is_open).scalar_subquery()
    return select(
        select(func.count()).select_from(Report).where(is_open).scalar_subquery(),
        largest,
        select(Report.created_at).where(Report.id == largest).scalar_subquery(),
    )


def _by_kind(items):
    found = {}
    for item in items:
        found.setdefault(item.kind.name, []).append(item)
    return found


def _fill(items):
    """Everything each item shows, a few queries per kind on the page (never per item)."""
    if not items:
        return
    by_kind = _by_kind(items)
    for name, kind_items in by_kind.items():
        kind = KINDS[name]
        loaded = load_items(kind, [i.content_id for i in kind_items])
        for entry in kind_items:
            entry.item = loaded.get(entry.content_id)
        present = [entry.item for entry in kind_items if entry.item is not None]
        contexts = kind.context(present) if kind.context is not None and present else {}
        for entry in kind_items:
            entry.context = contexts.get(entry.content_id, {})
    _fill_reports(items, by_kind)
    _fill_decisions(items, by_kind)
    _fill_authors(items)


def _of_items(by_kind, kind_column, id_column):
    return or_(
        *(
            and_(kind_column == name, id_column.in_([i.content_id for i in kind_items]))
            for name, kind_items in by_kind.items()
        )
    )


def _fill_reports(items, by_kind):
    """The reasons of every open report per item (counted), and the latest REPORTS_SHOWN of them."""
    place = {(i.kind.name, i.content_id): i for i in items}
    open_of_items = and_(Report.state == ReportState.OPEN, _of_items(by_kind, Report.content_kind, Report.content_id))
    reasons = db.session.execute(
        select(Report.content_kind, Report.content_id, Report.reason, func.count())
        .where(open_of_items)
        .group_by(Report.content_kind, Report.content_id, Report.reason)
    )
    for kind, content_id, reason, n in reasons:
        place[(kind, content_id)].reasons.append((reason, n))
    for entry in items:
        entry.reasons.sort(key=lambda pair: (-pair[1], pair[0]))
    rank = (
        func.row_number()
        .over(
            partition_by=(Report.content_kind, Report.content_id),
            order_by=(Report.created_at.desc(), Report.id.desc()),
        )
        .label("rank")
    )
    latest = (
        select(
            Report.content_kind,
            Report.content_id,
            Report.reason,
            Report.note,
            Report.created_at,
            Report.reporter_id,
            rank,
        )
        .where(open_of_items)
        .subquery()
    )
    rows = db.session.execute(
        select(
            latest.c.content_kind,
            latest.c.content_id,
            latest.c.reason,
            latest.c.note,
            latest.c.created_at,
            User.display_name,
        )
        .join(User, User.id == latest.c.reporter_id)
        .where(latest.c.rank <= REPORTS_SHOWN)
        .order_by(latest.c.rank)
    )
    for kind, content_id, reason, note, created_at, name in rows:
        place[(kind, content_id)].reports.append(ShownReport(reason, note, created_at, name))


def _fill_decisions(items, by_kind):
    entries = db.session.scalars(
        select(AuditEntry)
        .where(_of_items(by_kind, AuditEntry.target_type, AuditEntry.target_id))
        .order_by(AuditEntry.created_at, AuditEntry.id)
    )
    place = {(i.kind.name, i.content_id): i for i in items}
    for entry in entries:
        place[(entry.target_type, entry.target_id)].decisions.append(entry)


def _fill_authors(items):
    """Each author's name, hidden items and open reports over every kind that says who wrote what."""
    author_of = {}
    for entry in items:
        if entry.item is not None:
            author_id = entry.kind.author_id(entry.item)
            if author_id is not None:
                author_of[(entry.kind.name, entry.content_id)] = author_id
    author_ids = sorted(set(author_of.values()))
    if not author_ids:
        return
    users = {user.id: user for user in db.session.scalars(select(User).where(User.id.in_(author_ids)))}
    hidden, reported = author_history(author_ids)
    for entry in items:
        author_id = author_of.get((entry.kind.name, entry.content_id))
        if author_id is not None:
            entry.author = users.get(author_id)
            entry.author_hidden = hidden.get(author_id, 0)
            entry.author_open_reports = reported.get(author_id, 0)


def author_history(author_ids):
    """({author: hidden items}, {author: open reports on their items}), all kinds, one query a kind:
    driven by the authors' items (an index on the author), each counting its open reports through
    the reports' index, rather than by every open report of the kind."""
    hidden, reported = {}, {}
    for kind in KINDS.values():
        if kind.authored is None:
            continue
        authored = kind.authored().subquery()
        open_reports = (
            select(func.count(Report.id))
            .where(
                Report.state == ReportState.OPEN,
                Report.content_kind == kind.name,
                Report.content_id == authored.c.id,
            )
            .scalar_subquery()
        )
        rows = db.session.execute(
            select(authored.c.author_id, func.sum(case((authored.c.hidden, 1), else_=0)), func.sum(open_reports))
            .where(authored.c.author_id.in_(author_ids))
            .group_by(authored.c.author_id)
        )
        for author_id, n_hidden, n_reported in rows:
            if n_hidden:
                hidden[author_id] = hidden.get(author_id, 0) + int(n_hidden)
            if n_reported:
                reported[author_id] = reported.get(author_id, 0) + int(n_reported)
    return hidden, reported


def kind_or_not_found(name):
    kind = kind_named(name)
    if kind is None:
        raise NotFound(_("There is no such kind of content."))
    return kind
