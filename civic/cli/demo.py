"""The project's own demo content: people of every role, written for Civic."""
import secrets

from sqlalchemy import func, select

from civic.accounts import passwords
from civic.accounts.models import User, UserRole
from civic.audit.services import record_staff_action
from civic.common.models import utcnow
from civic.extensions import db
from civic.permissions import Role

DEMO_PASSWORD = "civic-demo-passphrase"
DEMO_PEOPLE = [
    ("Ana Robles", "ana@demo.civic.localhost", [Role.CITIZEN],
     "Cyclist, parent of two, lives by the river park."),
    ("Tomás Ibarra", "tomas@demo.civic.localhost", [Role.CITIZEN],
     "Runs the corner bakery on Calle Mayor."),
    ("Grace Okafor", "grace@demo.civic.localhost", [Role.CITIZEN],
     "Retired teacher; volunteers at the library."),
    ("Moira Duval", "moderator@demo.civic.localhost", [Role.CITIZEN, Role.MODERATOR],
     "Community moderator."),
    ("Oscar Lindqvist", "official@demo.civic.localhost", [Role.CITIZEN, Role.OFFICIAL],
     "Transport planning officer, City Council."),
    ("Alex Admin", "admin@demo.civic.localhost", [Role.CITIZEN, Role.ADMIN],
     "Runs this Civic site."),
]


def database_is_empty():
    return not db.session.scalar(select(func.count()).select_from(User))


def seed_demo():
    """Add the demo people (skipping any that exist). Returns (role, email, password) rows."""
    rows = []
    password_hash = passwords.hash_password(DEMO_PASSWORD)
    for name, email, roles, bio in DEMO_PEOPLE:
        user = db.session.scalar(select(User).where(User.email_normalized == email))
        if user is None:
            user = User(display_name=name, email=email, email_normalized=email, bio=bio,
                        password_hash=password_hash, session_token=secrets.token_hex(16),
                        email_verified_at=utcnow())
            db.session.add(user)
            db.session.flush()
            for role in roles:
                user.roles.append(UserRole(role=role.value))
                if role is not Role.CITIZEN:
                    record_staff_action(None, "role.grant", "user", user.id, name,
                                        "Demo content (flask civic seed-demo)", {"role": role.value})
        rows.append((roles[-1].value, email, DEMO_PASSWORD))
    db.session.commit()
    _seed_discussions()
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
    from civic.discussions import services as discussions
    from civic.discussions.models import Category

    if db.session.scalar(select(func.count()).select_from(Category)):
        return
    admin = _person("admin@demo.civic.localhost")
    ana, tomas, grace = (_person(f"{n}@demo.civic.localhost") for n in ("ana", "tomas", "grace"))
    moderator, official = _person("moderator@demo.civic.localhost"), _person("official@demo.civic.localhost")
    categories = {name: discussions.save_category(admin, name=name, description=description,
                                                  citizens_may_start=open_)
                  for name, description, open_ in DEMO_CATEGORIES}

    street = discussions.start_discussion(
        ana, categories["Transport"], title="Should Calle Mayor be closed to cars on Saturdays?",
        body="Every Saturday the street is packed with cars looking for parking while the pavements "
             "overflow. Other towns close their high street to traffic once a week. **Should we try it "
             "for a summer?**")
    first = discussions.post_comment(
        grace, street, stance="in_favour",
        body="Yes. I walk to the library every Saturday and the crossing by the fountain is frightening. "
             "A summer trial costs little and we would learn a lot.")
    bakery = discussions.post_comment(
        tomas, street, stance="against",
        body="My bakery gets its flour delivered on Saturday mornings, and half my customers come by car "
             "from the villages. A closure would need a delivery window and parking nearby.")
    discussions.post_comment(
        ana, street, parent_id=bakery.id, stance="neutral",
        body="That is fair, @tomas_ibarra. Would deliveries before 10:00 work for you?")
    reply = discussions.post_comment(
        tomas, street, parent_id=bakery.id,
        body="Before 10:00 would work, yes. And the car park behind the market is empty on Saturdays.")
    discussions.post_comment(grace, street, parent_id=reply.id,
                             body="Then a trial with a delivery window sounds like something we could all live with.")
    answer = discussions.post_comment(
        official, street,
        body="Thank you all. The transport team is preparing a consultation on a **summer trial** with "
             "deliveries until 10:00. We will publish it here in the spring.")
    discussions.pin_comment(official, answer)
    for voter, comment, value in ((tomas, first, 1), (ana, first, 1), (grace, bakery, 1), (ana, bakery, 1),
                                  (moderator, first, -1), (grace, answer, 1), (ana, answer, 1)):
        discussions.vote_on_comment(voter, comment, value)

    lanes = discussions.start_discussion(
        grace, categories["Transport"], title="Where do we need safe cycle lanes first?",
        body="The council has money for two kilometres of protected lanes this year. Which streets should get them?")
    discussions.post_comment(ana, lanes, body="The school run on Avenida del Río: children cycle among buses.",
                             stance="neutral")

    homes = discussions.start_discussion(
        tomas, categories["Housing"], title="Empty flats above the shops",
        body="Many flats above shops on the high street have stood empty for years. Could the council help "
             "owners bring them back into use?")
    discussions.post_comment(grace, homes, stance="in_favour",
                             body="Grants for repairs in exchange for five years at an affordable rent have worked elsewhere.")

    benches = discussions.start_discussion(
        ana, categories["Parks and public space"], title="More benches and shade in Plaza Nueva",
        body="Older neighbours tell me they cannot cross the square in summer without a place to rest.")
    discussions.post_comment(grace, benches, body="And a drinking fountain, please.", stance="in_favour")
    discussions.lock_discussion(moderator, benches, "The council agreed to add benches and shade; work starts in May.")

