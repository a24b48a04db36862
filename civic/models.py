"""Imports every domain's models, so that db.metadata (and Alembic) sees the whole schema."""

from civic.accountability.models import (  # noqa: F401
    ImplementationRecord,
    Milestone,
    RecordedBudget,
    RecordFollow,
)
from civic.accounts.models import RecoveryCode, User, UserRole  # noqa: F401
from civic.audit.models import AuditEntry  # noqa: F401
from civic.budgets.models import Ballot, BallotChoice, Budget, BudgetArea, Project  # noqa: F401
from civic.consultations.models import (  # noqa: F401
    Answer,
    Consultation,
    ConsultationFollow,
    Correction,
    Document,
    DraftSection,
    OutcomeItem,
    Question,
    Response,
    Statement,
    StatementVote,
    StatementVoteEvent,
    TimelinePhase,
)
from civic.discussions.models import (  # noqa: F401
    Category,
    Comment,
    CommentRevision,
    CommentVote,
    Discussion,
    DiscussionFollow,
)
from civic.mail.models import Mailing  # noqa: F401
from civic.moderation.models import Report  # noqa: F401
from civic.notifications.models import Notification  # noqa: F401
from civic.petitions.models import (  # noqa: F401
    AreaTally,
    HourTally,
    Invalidation,
    Petition,
    Signature,
)
from civic.proposals.models import Proposal, ProposalFollow, Support, SupportDay  # noqa: F401
from civic.search.models import SearchOutboxEntry  # noqa: F401
