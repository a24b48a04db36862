"""Participatory budget tables: the budget with its areas and phase dates (and the named sets of
what each phase allows), its projects, and the ballots as the sets of projects (and points) chosen."""

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from civic.common import clock
from civic.common.models import TimestampMixin, UTCDateTime, utcnow
from civic.extensions import db

TITLE_MAX_LENGTH = 150
DESCRIPTION_MAX_LENGTH = 20_000
AREA_MAX_LENGTH = 80
REASON_MAX_LENGTH = 1_000
CURRENCY_LENGTH = 3
MAX_AMOUNT = 10**15  # a budget or a cost above a thousand billion is a typing mistake
MAX_AREAS = 50


class Phase(str, enum.Enum):
    """Where a budget is; derived from its dates (Budget.phase_at), never stored."""

    UPCOMING = "upcoming"
    COLLECTING = "collecting"  # projects are proposed and entered
    REVIEW = "review"  # officials check what each project would cost and whether it can be done
    VOTING = "voting"
    RESULTS = "results"
    IMPLEMENTATION = "implementation"


PHASE_LABELS = {
    "upcoming": lazy_pgettext("budget phase", "Upcoming"),
    "collecting": lazy_pgettext("budget phase", "Collecting projects"),
    "review": lazy_pgettext("budget phase", "Review"),
    "voting": lazy_pgettext("budget phase", "Voting"),
    "results": lazy_pgettext("budget phase", "Results"),
    "implementation": lazy_pgettext("budget phase", "Implementation"),
}

# The dates that start each phase, in order (the budget's columns of the same names).
PHASE_STARTS = (
    (Phase.COLLECTING, "collecting_starts_at"),
    (Phase.REVIEW, "review_starts_at"),
    (Phase.VOTING, "voting_starts_at"),
    (Phase.RESULTS, "voting_ends_at"),
    (Phase.IMPLEMENTATION, "implementation_starts_at"),
)

TAKING_BALLOTS = frozenset({Phase.VOTING})
SHOWING_RESULTS = frozenset({Phase.RESULTS, Phase.IMPLEMENTATION})
PROJECTS_EDITABLE = frozenset(
    {Phase.UPCOMING, Phase.COLLECTING, Phase.REVIEW}
)  # the ballot is fixed once voting starts


class BallotKind(str, enum.Enum):
    APPROVAL = "approval"  # choose projects (optionally at most K, and/or within the money)
    CUMULATIVE = "cumulative"  # share P points among projects


BALLOT_KIND_LABELS = {
    "approval": lazy_pgettext("ballot kind", "Approval: choose the projects you support"),
    "cumulative": lazy_pgettext("ballot kind", "Cumulative: share points among projects"),
}

RULE_LABELS = {
    "greedy": lazy_pgettext("budget rule", "Most votes first, skipping projects that do not fit"),
    "greedy-no-skip": lazy_pgettext("budget rule", "Most votes first, stopping at the first project that does not fit"),
    "equalshares": lazy_pgettext("budget rule", "Method of Equal Shares"),
}


class Feasibility(str, enum.Enum):
    NOT_ASSESSED = "not_assessed"
    FEASIBLE = "feasible"
    NOT_FEASIBLE = "not_feasible"  # shown with its public reason


FEASIBILITY_LABELS = {
    "not_assessed": lazy_pgettext("feasibility", "Not assessed yet"),
    "feasible": lazy_pgettext("feasibility", "Feasible"),
    "not_feasible": lazy_pgettext("feasibility", "Not feasible"),
}


class Budget(TimestampMixin, db.Model):
    __tablename__ = "budget"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX_LENGTH), nullable=False)
    description_markdown: Mapped[str] = mapped_column(Text, nullable=False, default="")
    description_html: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # The money for city-wide projects; each area has its own amount on top.
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    currency: Mapped[str] = mapped_column(String(CURRENCY_LENGTH), nullable=False, default="EUR")
    rule: Mapped[str] = mapped_column(String(20), nullable=False, default="greedy")
    ballot_kind: Mapped[str] = mapped_column(String(12), nullable=False, default=BallotKind.APPROVAL.value)
    max_projects: Mapped[int | None] = mapped_column(Integer)  # approval: at most K projects
    within_budget: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)  # approval: at most the money
    points: Mapped[int | None] = mapped_column(Integer)  # cumulative: P points to share
    collecting_starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    review_starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    voting_starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    voting_ends_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, index=True)
    implementation_starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    # A budget imported from a Pabulib file: its META section, written back on export.
    pabulib_meta: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)

    areas: Mapped[list["BudgetArea"]] = relationship(
        back_populates="budget", order_by="BudgetArea.name", cascade="all, delete-orphan"
    )

    def phase_at(self, now):
        phase = Phase.UPCOMING
        for candidate, column in PHASE_STARTS:
            start = getattr(self, column)
            if start is not None and now >= start:
                phase = candidate
        return phase

    @property
    def phase(self):
        """The phase now: voting opens and closes on time without anyone pressing a button."""
        return self.phase_at(clock.now())

    @property
    def takes_ballots(self):
        return self.phase in TAKING_BALLOTS

    @property
    def shows_results(self):
        return self.phase in SHOWING_RESULTS

    @property
    def projects_editable(self):
        return self.phase in PROJECTS_EDITABLE

    @property
    def is_cumulative(self):
        return self.ballot_kind == BallotKind.CUMULATIVE.value

    @property
    def total(self):
        """All the money: city-wide and every area's."""
        return self.amount + sum(area.amount for area in self.areas)


class BudgetArea(db.Model):
    """A part of the city with its own money: a voter chooses projects in one area (and city-wide ones)."""

    __tablename__ = "budget_area"
    __table_args__ = (UniqueConstraint("budget_id", "name", name="uq_budget_area_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    budget_id: Mapped[int] = mapped_column(ForeignKey("budget.id", ondelete="CASCADE"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(AREA_MAX_LENGTH), nullable=False)
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False)

    budget: Mapped[Budget] = relationship(back_populates="areas")


HIDDEN_PROJECT_TITLE = _l("A project hidden by moderation")


class Project(TimestampMixin, db.Model):
    __tablename__ = "budget_project"
    __table_args__ = (UniqueConstraint("budget_id", "pabulib_id", name="uq_budget_project_pabulib_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    budget_id: Mapped[int] = mapped_column(ForeignKey("budget.id", ondelete="CASCADE"), nullable=False, index=True)
    area_id: Mapped[int | None] = mapped_column(ForeignKey("budget_area.id", ondelete="SET NULL"), index=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX_LENGTH), nullable=False)
    description_markdown: Mapped[str] = mapped_column(Text, nullable=False, default="")
    description_html: Mapped[str] = mapped_column(Text, nullable=False, default="")
    cost: Mapped[int] = mapped_column(BigInteger, nullable=False)
    feasibility: Mapped[str] = mapped_column(String(16), nullable=False, default=Feasibility.NOT_ASSESSED.value)
    feasibility_reason: Mapped[str] = mapped_column(String(REASON_MAX_LENGTH), nullable=False, default="")
    # The accepted proposal it came from (the proposals' table; no foreign key yet).
    proposal_id: Mapped[int | None] = mapped_column(Integer, index=True)
    pabulib_id: Mapped[str | None] = mapped_column(String(64))  # the file's project_id, for imports and exports
    # Hidden by moderation (readers reported it): it keeps its place in the ballot and the results (votes
    # cast for it stay valid), but every public page and export shows `public_title` and no description.
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    hidden_reason: Mapped[str] = mapped_column(String(500), nullable=False, default="", server_default="")

    area: Mapped[BudgetArea | None] = relationship()
    budget: Mapped[Budget] = relationship()

    @property
    def is_hidden(self):
        return self.hidden_at is not None

    @property
    def public_title(self):
        """What the public reads as its name: its title, or a placeholder while moderation hides it."""
        return str(HIDDEN_PROJECT_TITLE) if self.is_hidden else self.title

    @property
    def on_ballot(self):
        """Only feasible projects reach the ballot."""
        return self.feasibility == Feasibility.FEASIBLE.value


class Ballot(db.Model):
    """One voter's ballot in one budget: an account's (one each, changeable while voting is open)
    or an anonymous voter's from an imported file."""

    __tablename__ = "budget_ballot"
    __table_args__ = (
        UniqueConstraint("budget_id", "voter_id", name="uq_budget_ballot_voter"),
        UniqueConstraint("budget_id", "imported_voter", name="uq_budget_ballot_imported_voter"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    budget_id: Mapped[int] = mapped_column(ForeignKey("budget.id", ondelete="CASCADE"), nullable=False)
    voter_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    imported_voter: Mapped[str | None] = mapped_column(String(64))
    area_id: Mapped[int | None] = mapped_column(ForeignKey("budget_area.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)

    choices: Mapped[list["BallotChoice"]] = relationship(cascade="all, delete-orphan", passive_deletes=True)


class BallotChoice(db.Model):
    """A project on a ballot, with its points (1 on an approval ballot)."""

    __tablename__ = "budget_ballot_choice"
    __table_args__ = (Index("ix_budget_ballot_choice_project_id", "project_id"),)

    ballot_id: Mapped[int] = mapped_column(ForeignKey("budget_ballot.id", ondelete="CASCADE"), primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("budget_project.id", ondelete="CASCADE"), primary_key=True)
    points: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
