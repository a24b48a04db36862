"""Live updates: events reach the clients in a discussion's room, and only them."""

import contextvars

import pytest

from civic.discussions.services.comments import delete_comment, edit_comment, post_comment
from civic.discussions.services.discussions import start_discussion
from civic.discussions.services.votes import vote_on_comment
from civic.extensions import db, socketio
from civic.realtime import MemoryPresence, RedisPresence, room_for
from tests.support.apps import unique_prefix
from tests.support.moderation import hide_comment


def connect(app, **kwargs):
    """A socket client as from a browser: its own context, so no `g` leaks from the test."""
    return contextvars.Context().run(socketio.test_client, app, **kwargs)


def events(client, name):
    return [m["args"][0] for m in client.get_received() if m["name"] == name]


def join(client, discussion_id):
    return client.emit("join", {"kind": "discussion", "id": discussion_id}, callback=True)


def test_a_new_comment_reaches_clients_in_the_room_and_no_one_else(app, make_user, open_discussion, category):
    inside, outside = connect(app), connect(app)
    other = start_discussion(make_user(), category, title="Elsewhere", body="x")
    assert join(inside, open_discussion.id)["ok"]
    assert join(outside, other.id)["ok"]
    inside.get_received(), outside.get_received()
    comment = post_comment(make_user(name="Live Poster"), open_discussion, body="Hello live")
    [posted] = events(inside, "comment_posted")
    assert posted["comment_id"] == comment.id and "Hello live" in posted["html"]
    assert posted["counts"]["comments"] == 1 and posted["parent_id"] is None
    assert events(outside, "comment_posted") == []


def test_live_html_is_generic_and_marks_controls_for_the_script(app, make_user, open_discussion):
    client = connect(app)
    join(client, open_discussion.id)
    client.get_received()
    post_comment(make_user(), open_discussion, body="generic")
    html = events(client, "comment_posted")[0]["html"]
    assert 'data-needs="author"' in html and 'data-needs="voter"' in html and "data-csrf" in html
    assert 'value=""' in html  # no CSRF token of anyone's leaks into a broadcast


def test_edits_deletions_hiding_votes_and_stances_are_pushed(app, make_user, open_discussion):
    author, voter = make_user(), make_user()
    moderator = make_user(roles=("citizen", "moderator"))
    comment = post_comment(author, open_discussion, body="before", stance="in_favour")
    client = connect(app)
    join(client, open_discussion.id)
    client.get_received()
    edit_comment(author, comment, body="after", stance="against")
    vote_on_comment(voter, comment, 1)
    hide_comment(moderator, comment, "Off topic")
    received = client.get_received()
    names = [m["name"] for m in received]
    assert names.count("comment_edited") == 1 and names.count("votes_changed") == 1
    assert names.count("comment_hidden") == 1
    edited = next(m["args"][0] for m in received if m["name"] == "comment_edited")
    assert "after" in edited["html"] and edited["counts"]["against"] == 1 and edited["counts"]["in_favour"] == 0
    votes = next(m["args"][0] for m in received if m["name"] == "votes_changed")
    assert votes == {"discussion_id": open_discussion.id, "comment_id": comment.id, "up": 1, "down": 0}
    hidden = next(m["args"][0] for m in received if m["name"] == "comment_hidden")
    assert "Hidden by moderation" in hidden["html"] and "after" not in hidden["html"]
    other = post_comment(author, open_discussion, body="to delete")
    client.get_received()
    delete_comment(author, other)
    deleted = events(client, "comment_deleted")
    assert deleted and "[deleted]" in deleted[0]["html"]


def test_a_client_cannot_join_a_discussion_it_may_not_view(app, make_user, open_discussion):
    from civic.common.models import utcnow

    open_discussion.hidden_at = utcnow()
    db.session.commit()
    client = connect(app)
    assert join(client, open_discussion.id) == {"ok": False, "error": "not_allowed"}
    client.get_received()
    post_comment(make_user(roles=("citizen", "moderator")), open_discussion, body="staff only")
    assert events(client, "comment_posted") == []


def test_joining_unknown_rooms_is_refused(app):
    client = connect(app)
    assert client.emit("join", {"kind": "discussion", "id": 424242}, callback=True)["ok"] is False
    assert client.emit("join", {"kind": "secrets", "id": 1}, callback=True)["ok"] is False
    assert client.emit("join", {"kind": "discussion", "id": "1; DROP"}, callback=True)["ok"] is False
    assert client.emit("join", None, callback=True)["ok"] is False


def latest_presence(client, timeout=3):
    import time

    deadline, seen = time.time() + timeout, []
    while time.time() < deadline:
        seen += events(client, "presence")
        time.sleep(0.1)
        if seen and time.time() > deadline - timeout + 1.2:
            break
    return seen[-1]["count"] if seen else None


@pytest.mark.serial  # presence is announced a second after a join: the test counts on the timing
def test_people_here_now_counts_clients_in_the_room(app, open_discussion):
    first = connect(app)
    assert join(first, open_discussion.id)["presence"] == 1
    second = connect(app)
    assert join(second, open_discussion.id)["presence"] == 2
    assert latest_presence(first) == 2
    second.disconnect()
    assert latest_presence(first) == 1
    first.disconnect()


@pytest.mark.serial  # twenty joins must fall within one announcement's second
def test_a_crowd_joining_gets_few_presence_messages(app, open_discussion):
    import time

    watcher = connect(app)
    join(watcher, open_discussion.id)
    time.sleep(1.3)
    watcher.get_received()
    crowd = [connect(app) for _ in range(20)]
    for client in crowd:
        join(client, open_discussion.id)
    time.sleep(1.5)
    counts = [e["count"] for e in events(watcher, "presence")]
    assert counts and counts[-1] == 21 and len(counts) <= 3  # coalesced, not one per join
    for client in crowd + [watcher]:
        client.disconnect()


def test_signed_in_reader_is_told_of_a_mention_live(app, web, make_user, open_discussion):
    reader = make_user(name="Mentioned Person")
    web.sign_in(reader.email)
    client = connect(app, flask_test_client=web.client)
    client.get_received()
    post_comment(make_user(), open_discussion, body=f"Hi @{reader.handle}")
    assert events(client, "notifications")[-1] == {"unread": 1}


def test_tallies_channel_pushes_counts_to_watchers(app, make_user, open_discussion):
    watcher, stranger = connect(app), connect(app)
    assert watcher.emit("watch_tally", {"kind": "discussion", "id": open_discussion.id}, callback=True)["ok"]
    watcher.get_received(), stranger.get_received()
    post_comment(make_user(), open_discussion, body="count me")
    assert events(watcher, "tally") == [{"kind": "discussion", "id": open_discussion.id, "counts": {"comments": 1}}]
    assert events(stranger, "tally") == []


def test_posting_works_when_publishing_fails(app, make_user, open_discussion, monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("queue down")

    monkeypatch.setattr(socketio, "emit", broken)
    comment = post_comment(make_user(), open_discussion, body="still saved")
    assert comment.id and db.session.get(type(comment), comment.id).body_markdown == "still saved"


@pytest.fixture(params=["memory", "redis"])
def presence(request):
    if request.param == "memory":
        yield MemoryPresence()
        return
    url = request.getfixturevalue("redis_url")
    store = RedisPresence(url, prefix=unique_prefix("civic-test-presence") + ":")
    yield store
    for key in store.redis.scan_iter(store.prefix + "*"):
        store.redis.delete(key)


def test_presence_store_contract(presence):
    room = room_for("discussion", 1)
    presence.touch(room, "a", now=1000)
    presence.touch(room, "b", now=1000)
    presence.touch(room_for("discussion", 2), "c", now=1000)
    assert presence.count(room, now=1001) == 2
    presence.leave(room, "a")
    assert presence.count(room, now=1001) == 1
    assert presence.count(room, now=1000 + 10_000) == 0  # silent clients fade out
    presence.touch(room, "b", now=20_000)
    assert presence.count(room, now=20_001) == 1
