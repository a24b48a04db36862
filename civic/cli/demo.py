"""The project's own demo content: people of every role, written for Civic."""

import random
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, insert, select

from civic.accounts import passwords
from civic.accounts.models import User, UserRole
from civic.audit.services import record_staff_action
from civic.cli.demo_accountability import seed_accountability
from civic.cli.demo_budgets import seed_budgets
from civic.cli.demo_proposals import seed_proposals
from civic.common import clock
from civic.common.models import utcnow
from civic.consultations.models import Consultation
from civic.consultations.services import lifecycle as consultation_lifecycle
from civic.consultations.services import questions, statements
from civic.consultations.services.responses import submit_response
from civic.discussions.models import Category
from civic.discussions.services.categories import save_category
from civic.discussions.services.comments import pin_comment, post_comment
from civic.discussions.services.discussions import create_attached_discussion, lock_discussion, start_discussion
from civic.discussions.services.votes import vote_on_comment
from civic.extensions import db
from civic.permissions import Role
from civic.petitions.models import Petition, Signature
from civic.petitions.services import lifecycle as petition_lifecycle
from civic.petitions.services import moderation, queries, responses

DEMO_PASSWORD = "civic-demo-passphrase"
# A domain reserved for examples (RFC 2606) that address checks accept: demo people must be able to
# do everything a real resident does, signing petitions with their own address included (issue 12:
# "*.localhost" is a special-use name that the address check refuses).
DEMO_DOMAIN = "demo.example.org"
DEMO_PEOPLE = [
    ("Ana Robles", f"ana@{DEMO_DOMAIN}", [Role.CITIZEN], "Cyclist, parent of two, lives by the river park."),
    ("Tomás Ibarra", f"tomas@{DEMO_DOMAIN}", [Role.CITIZEN], "Runs the corner bakery on Calle Mayor."),
    ("Grace Okafor", f"grace@{DEMO_DOMAIN}", [Role.CITIZEN], "Retired teacher; volunteers at the library."),
    ("Moira Duval", f"moderator@{DEMO_DOMAIN}", [Role.CITIZEN, Role.MODERATOR], "Community moderator."),
    (
        "Oscar Lindqvist",
        f"official@{DEMO_DOMAIN}",
        [Role.CITIZEN, Role.OFFICIAL],
        "Transport planning officer, City Council.",
    ),
    ("Alex Admin", f"admin@{DEMO_DOMAIN}", [Role.CITIZEN, Role.ADMIN], "Runs this Civic site."),
]


def database_is_empty():
    return not db.session.scalar(select(func.count()).select_from(User))


def demo_accounts():
    """(role, email, password) of the demo people who exist and still have the demo password:
    printed each time the development server starts, so nobody has to remember them."""
    rows = []
    for _name, email, roles, _bio in DEMO_PEOPLE:
        user = db.session.scalar(select(User).where(User.email_normalized == email))
        if user is not None and passwords.verify_password(user.password_hash, DEMO_PASSWORD):
            rows.append((roles[-1].value, email, DEMO_PASSWORD))
    return rows


def seed_demo():
    """Add the demo people (skipping any that exist). Returns (role, email, password) rows."""
    rows = []
    password_hash = passwords.hash_password(DEMO_PASSWORD)
    for name, email, roles, bio in DEMO_PEOPLE:
        user = db.session.scalar(select(User).where(User.email_normalized == email))
        if user is None:
            user = User(
                display_name=name,
                email=email,
                email_normalized=email,
                bio=bio,
                password_hash=password_hash,
                session_token=secrets.token_hex(16),
                email_verified_at=utcnow(),
            )
            db.session.add(user)
            db.session.flush()
            for role in roles:
                user.roles.append(UserRole(role=role.value))
                if role is not Role.CITIZEN:
                    record_staff_action(
                        None,
                        "role.grant",
                        "user",
                        user.id,
                        name,
                        "Demo content (flask civic seed-demo)",
                        {"role": role.value},
                    )
        rows.append((roles[-1].value, email, DEMO_PASSWORD))
    db.session.commit()
    # The demo staff act here through the services (categories, moderation, responses). Where staff
    # need two-factor sign-in (production, a staging site), the script acts for them before they
    # have enrolled; they enrol at their first sign-in like any new staff member.
    config = current_app.config
    required, config["CIVIC_REQUIRE_STAFF_2FA"] = config["CIVIC_REQUIRE_STAFF_2FA"], False
    try:
        _seed_discussions()
        _seed_consultations()
        _seed_petitions()
        seed_budgets(_person(f"official@{DEMO_DOMAIN}"))
        seed_proposals(
            {name: _person(f"{name}@{DEMO_DOMAIN}") for name in ("ana", "tomas", "grace")},
            _person(f"official@{DEMO_DOMAIN}"),
        )
        seed_accountability(_person(f"official@{DEMO_DOMAIN}"))
    finally:
        config["CIVIC_REQUIRE_STAFF_2FA"] = required
    return rows


def _person(email):
    return db.session.scalar(select(User).where(User.email_normalized == email))


DEMO_CATEGORIES = [
    ("Transport", "Buses, cycling, walking and the streets we share.", True),
    ("Housing", "Rents, repairs, new homes and empty buildings.", True),
    ("Parks and public space", "Squares, trees, play areas and benches.", True),
    ("Council budget", "Questions the council puts to residents about spending.", False),
]


def _seed_discussions():
    """Discussions with threads, stances, votes, a mention, a pinned answer and a locked topic."""
    if db.session.scalar(select(func.count()).select_from(Category)):
        return
    admin = _person(f"admin@{DEMO_DOMAIN}")
    ana, tomas, grace = (_person(f"{n}@{DEMO_DOMAIN}") for n in ("ana", "tomas", "grace"))
    moderator, official = _person(f"moderator@{DEMO_DOMAIN}"), _person(f"official@{DEMO_DOMAIN}")
    categories = {
        name: save_category(admin, name=name, description=description, citizens_may_start=open_)
        for name, description, open_ in DEMO_CATEGORIES
    }

    street = start_discussion(
        ana,
        categories["Transport"],
        title="Should Calle Mayor be closed to cars on Saturdays?",
        body="Every Saturday the street is packed with cars looking for parking while the pavements "
        "overflow. Other towns close their high street to traffic once a week. **Should we try it "
        "for a summer?**",
    )
    first = post_comment(
        grace,
        street,
        stance="in_favour",
        body="Yes. I walk to the library every Saturday and the crossing by the fountain is frightening. "
        "A summer trial costs little and we would learn a lot.",
    )
    bakery = post_comment(
        tomas,
        street,
        stance="against",
        body="My bakery gets its flour delivered on Saturday mornings, and half my customers come by car "
        "from the villages. A closure would need a delivery window and parking nearby.",
    )
    post_comment(
        ana,
        street,
        parent_id=bakery.id,
        stance="neutral",
        body="That is fair, @tomas_ibarra. Would deliveries before 10:00 work for you?",
    )
    reply = post_comment(
        tomas,
        street,
        parent_id=bakery.id,
        body="Before 10:00 would work, yes. And the car park behind the market is empty on Saturdays.",
    )
    post_comment(
        grace,
        street,
        parent_id=reply.id,
        body="Then a trial with a delivery window sounds like something we could all live with.",
    )
    answer = post_comment(
        official,
        street,
        body="Thank you all. The transport team is preparing a consultation on a **summer trial** with "
        "deliveries until 10:00. We will publish it here in the spring.",
    )
    pin_comment(official, answer)
    for voter, comment, value in (
        (tomas, first, 1),
        (ana, first, 1),
        (grace, bakery, 1),
        (ana, bakery, 1),
        (moderator, first, -1),
        (grace, answer, 1),
        (ana, answer, 1),
    ):
        vote_on_comment(voter, comment, value)

    lanes = start_discussion(
        grace,
        categories["Transport"],
        title="Where do we need safe cycle lanes first?",
        body="The council has money for two kilometres of protected lanes this year. Which streets should get them?",
    )
    post_comment(ana, lanes, body="The school run on Avenida del Río: children cycle among buses.", stance="neutral")

    homes = start_discussion(
        tomas,
        categories["Housing"],
        title="Empty flats above the shops",
        body="Many flats above shops on the high street have stood empty for years. Could the council help "
        "owners bring them back into use?",
    )
    post_comment(
        grace,
        homes,
        stance="in_favour",
        body="Grants for repairs in exchange for five years at an affordable rent have worked elsewhere.",
    )

    benches = start_discussion(
        ana,
        categories["Parks and public space"],
        title="More benches and shade in Plaza Nueva",
        body="Older neighbours tell me they cannot cross the square in summer without a place to rest.",
    )
    post_comment(grace, benches, body="And a drinking fountain, please.", stance="in_favour")
    lock_discussion(moderator, benches, "The council agreed to add benches and shade; work starts in May.")


def _seed_consultations():
    """An open consultation with a questionnaire and statements, and a closed one with its outcome."""
    if db.session.scalar(select(func.count()).select_from(Consultation)):
        return
    official = _person(f"official@{DEMO_DOMAIN}")
    now = clock.utc_to_local(clock.now()).replace(tzinfo=None, second=0, microsecond=0)
    summer = consultation_lifecycle.create_consultation(
        official,
        consultation_lifecycle.ConsultationFields(
            title="A car-free Calle Mayor on summer Saturdays?",
            summary="Should the council close Calle Mayor to cars on Saturdays from June to September, "
            "with a delivery window before 10:00?",
            body_markdown="Residents asked for a trial in the discussions. Before deciding, we want to hear "
            "from people who live, work and shop on and around **Calle Mayor**.\n\n"
            "- The trial would run on Saturdays, June to September.\n"
            "- Deliveries would be allowed before 10:00.\n"
            "- Buses 3 and 7 would use Calle Nueva instead.",
            topic="Transport",
            area="Old Town",
            contact="transport@council.example",
            opens_local=now - timedelta(days=3),
            closes_local=now + timedelta(days=25),
            anonymous_responses=True,
        ),
    )
    Q = questions.QuestionData
    for data in (
        Q(
            kind="single_choice",
            prompt="How do you usually get to Calle Mayor?",
            section="About you",
            options=("On foot", "By bike", "By bus", "By car"),
            allow_other=True,
            required=True,
        ),
        Q(
            kind="yes_no",
            prompt="Should the council try a car-free Saturday this summer?",
            section="The trial",
            required=True,
        ),
        Q(
            kind="scale",
            prompt="How much would it change your Saturdays?",
            scale="1-5",
            scale_min_label="Not at all",
            scale_max_label="A great deal",
        ),
        Q(kind="long_text", prompt="What should the council know before it decides?"),
    ):
        questions.save_question(official, summer, data)
    statements.set_statement_options(official, summer, enabled=True, premoderated=True)
    for text in (
        "Deliveries before 10:00 are enough for shops.",
        "Closing the street will push traffic into the side streets.",
        "A summer trial is a cheap way to find out.",
    ):
        statements.add_statement(official, summer, text)
    consultation_lifecycle.publish_consultation(official, summer)
    _seed_responses(summer)
    return summer


_REASONS = (
    "Saturday is when I shop with the children; a street without cars would be safer for them.",
    "My shop depends on customers who drive in from the villages. Please keep some parking nearby.",
    "Try it for one summer and count the visitors. Then decide.",
    "The buses already take too long on Calle Nueva; sending two more lines there will make it worse.",
    "Deliveries before 10:00 are fine for cafés, not for the market stalls that arrive at 11.",
    "More space for terraces and for walking. The noise on Saturday mornings is awful.",
    "I live on a side street and I am worried the traffic will simply move to us.",
    "Benches and shade, please, if the street is closed: older people need somewhere to rest.",
    "Yes, but let residents with a disability badge through.",
    "The trial should include the last Saturday of September, when the fair is on.",
)


class _Unsent:
    """The demo's residents are invented: their response receipts go nowhere (320 of them would
    bury `make run`'s first start, and the development outbox)."""

    def send(self, message):
        pass


def _seed_responses(consultation):
    """A few hundred residents answer the open consultation and vote on its statements, with the
    spread of opinion a real street would give (a fixed random seed: the same demo every time)."""
    rng = random.Random(2026)
    password_hash = passwords.hash_password(secrets.token_urlsafe(16))  # they never sign in
    by_prompt = {q.prompt: q for q in consultation.questions}
    travel = by_prompt["How do you usually get to Calle Mayor?"]
    trial = by_prompt["Should the council try a car-free Saturday this summer?"]
    change = by_prompt["How much would it change your Saturdays?"]
    notes = by_prompt["What should the council know before it decides?"]
    residents = []
    for n in range(current_app.config["CIVIC_DEMO_RESIDENTS"]):
        email = f"resident{n}@{DEMO_DOMAIN}"
        resident = User(
            display_name=f"Resident {n + 1}",
            email=email,
            email_normalized=email,
            bio="",
            password_hash=password_hash,
            session_token=secrets.token_hex(16),
            email_verified_at=utcnow(),
        )
        resident.roles.append(UserRole(role=Role.CITIZEN.value))
        residents.append(resident)
    db.session.add_all(residents)
    db.session.commit()
    backend = current_app.extensions["civic_mail"]
    current_app.extensions["civic_mail"] = _Unsent()
    try:
        shown = statements.statements_of(consultation, status="approved")
        for resident in residents:
            way = rng.choices(["On foot", "By bike", "By bus", "By car", "__other__"], [38, 14, 22, 22, 4])[0]
            driver = way == "By car"
            answers = {
                travel.id: (way, "Scooter" if way == "__other__" else ""),
                trial.id: ("no" if rng.random() < (0.7 if driver else 0.25) else "yes", ""),
                change.id: (str(rng.choices([1, 2, 3, 4, 5], [10, 15, 30, 25, 20])[0]), ""),
                notes.id: (rng.choice(_REASONS) if rng.random() < 0.45 else "", ""),
            }
            response = submit_response(resident, consultation, answers)
            # Spread over the days the consultation has been open, most of them at first.
            opened = consultation.opens_at
            response.submitted_at = response.first_submitted_at = opened + (clock.now() - opened) * rng.random() ** 1.6
            for statement in shown:
                if rng.random() < 0.8:
                    statements.vote_on_statement(resident, statement, rng.choice([1, 1, -1, 0]))
        db.session.commit()
    finally:
        current_app.extensions["civic_mail"] = backend


DEMO_PETITIONS = [
    # title, background, topic, creator, state, signatures, days open
    (
        "Plant 500 street trees in the Old Town",
        "Our streets are the hottest in the city in summer and have lost "
        "dozens of trees in ten years. Shade makes walking and waiting for the bus bearable.",
        "Parks",
        "ana",
        "open",
        1240,
        40,
    ),
    (
        "Open the central library on Sundays",
        "Students and working families have no quiet place to study or read "
        "at weekends. Other cities open their main library on Sunday afternoons.",
        "Libraries",
        "grace",
        "open",
        380,
        12,
    ),
    (
        "Build a safe cycle lane on the river road",
        "Cyclists share a narrow, fast road with lorries. Two people were hurt there last year.",
        "Transport",
        "ana",
        "responded",
        10_420,
        170,
    ),
    (
        "Stop the council using glyphosate in parks",
        "Other councils have stopped. Children play on the grass.",
        "Parks",
        "tomas",
        "pending",
        6,
        0,
    ),
    ("Plant more trees in the old town", "Because shade matters.", "Parks", "tomas", "rejected", 1, 0),
]


def _seed_petitions():
    """Petitions in every state, with signatures spread over areas and days for the charts."""
    if db.session.scalar(select(func.count()).select_from(Petition)):
        return
    moderator, official = _person(f"moderator@{DEMO_DOMAIN}"), _person(f"official@{DEMO_DOMAIN}")
    areas = queries.areas()
    rng = random.Random(7)
    now = clock.now()
    first_open = None
    for title, background, topic, who, state, count, days in DEMO_PETITIONS:
        creator = _person(f"{who}@{DEMO_DOMAIN}")
        petition = petition_lifecycle.create_petition(
            creator, petition_lifecycle.PetitionFields(title=title, background=background, topic=topic, area=areas[0])
        )
        if state == "rejected":
            petition.state = "pending"
            moderation.reject_petition(
                moderator, petition, "duplicate", "Please sign the earlier petition.", duplicate_of_id=first_open.id
            )
            continue
        if state == "pending":
            petition.state, petition.moderation_requested_at = "pending", now
            db.session.commit()
            continue
        opened = now - timedelta(days=days)
        petition.state, petition.opened_at, petition.created_at = "open", opened, opened - timedelta(days=4)
        petition.closes_at, petition.moderated_at = moderation.closing_time(opened), opened
        rows = [
            dict(
                petition_id=petition.id,
                name=f"Demo signer {n}",
                email=f"signer{n}.{petition.id}@demo.invalid",
                email_key=f"signer{n}.{petition.id}@demo.invalid",
                email_domain="demo.invalid",
                area=rng.choices(areas, weights=range(len(areas), 0, -1))[0],
                notify=False,
                ip_address=f"192.0.2.{n % 250}",
                token=secrets.token_hex(16),
                created_at=(at := opened + timedelta(seconds=rng.uniform(0, days * 86400))),
                validated_at=at,
            )
            for n in range(count - 1)
        ]
        if rows:
            db.session.execute(insert(Signature), rows)
            queries.rebuild_tallies(petition.id)
        petition.signature_count = count
        response, _debate = queries.thresholds()
        if count >= response:
            petition.response_threshold_reached_at = opened + timedelta(days=days // 2)
        # Opened weeks ago, so written directly rather than through approve_petition (which opens now).
        petition.discussion_id = create_attached_discussion("petition", petition.id, petition.title).id
        first_open = first_open or petition
        db.session.commit()
        if state == "responded":
            responses.publish_response(
                official,
                petition,
                "We will build a protected lane on the river road next spring.",
                "The works are in next year's budget. **Construction** starts in March and takes about ten weeks.",
            )
    db.session.commit()
