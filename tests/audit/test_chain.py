"""Issue 14: the audit log is append-only and hash-chained, and `flask civic verify-audit` finds
an entry changed, deleted or re-linked afterwards, naming the first broken one."""

import re
import threading

from sqlalchemy import select, text

from civic.audit.chain import GENESIS_HASH, entry_hash, verify_chain
from civic.audit.models import AuditEntry
from civic.audit.services import record_staff_action
from civic.extensions import db
from tests.support.apps import project_root


def _record(count, actor=None):
    for n in range(count):
        record_staff_action(actor, "role.grant", "user", n + 1, f"Person {n + 1}", details={"role": "official", "n": n})
        db.session.commit()
    return db.session.scalars(select(AuditEntry.id).order_by(AuditEntry.id)).all()


def _verify(app):
    db.session.expire_all()
    return app.test_cli_runner().invoke(args=["civic", "verify-audit"])


def test_each_entry_carries_the_hash_of_the_one_before(app, make_user):
    admin = make_user(roles=("citizen", "admin"))
    _record(3, admin)
    entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [e.chain_index for e in entries] == [1, 2, 3]
    assert entries[0].previous_hash == GENESIS_HASH
    assert [e.previous_hash for e in entries[1:]] == [e.entry_hash for e in entries[:-1]]
    assert all(re.fullmatch(r"[0-9a-f]{64}", e.entry_hash) and e.entry_hash == entry_hash(e) for e in entries)


def test_an_intact_chain_passes(app):
    _record(5)
    result = _verify(app)
    assert result.exit_code == 0, result.output + result.stderr
    head = db.session.scalar(select(AuditEntry.entry_hash).order_by(AuditEntry.id.desc()).limit(1))
    assert "5 entries, chain intact" in result.output and head in result.output


def test_an_empty_log_is_intact(app):
    result = _verify(app)
    assert result.exit_code == 0 and "0 entries, chain intact" in result.output


def test_an_entry_changed_in_the_database_is_found(app):
    ids = _record(5)
    db.session.execute(
        text("UPDATE audit_entry SET details = :details WHERE id = :id"), {"details": '{"role": "admin"}', "id": ids[2]}
    )
    db.session.commit()
    result = _verify(app)
    assert result.exit_code == 1
    assert f"broken at entry id {ids[2]} " in result.stderr and "no longer matches its hash" in result.stderr


def test_a_deleted_entry_is_found_at_the_entry_after_it(app):
    ids = _record(5)
    db.session.execute(text("DELETE FROM audit_entry WHERE id = :id"), {"id": ids[1]})
    db.session.commit()
    result = _verify(app)
    assert result.exit_code == 1
    assert f"broken at entry id {ids[2]} " in result.stderr and "entry 2 of the chain" in result.stderr
    assert "missing" in result.stderr


def test_a_previous_hash_pointing_elsewhere_is_found_even_with_its_own_hash_recomputed(app):
    ids = _record(5)
    first = db.session.get(AuditEntry, ids[0])
    db.session.execute(
        text("UPDATE audit_entry SET previous_hash = :hash WHERE id = :id"), {"hash": first.entry_hash, "id": ids[3]}
    )
    db.session.commit()
    result = _verify(app)
    assert result.exit_code == 1 and f"broken at entry id {ids[3]} " in result.stderr
    assert "no longer matches its hash" in result.stderr
    # A forger who also recomputes the entry's own hash is still caught by the link.
    db.session.expire_all()
    forged = db.session.get(AuditEntry, ids[3])
    db.session.execute(
        text("UPDATE audit_entry SET entry_hash = :hash WHERE id = :id"), {"hash": entry_hash(forged), "id": ids[3]}
    )
    db.session.commit()
    result = _verify(app)
    assert result.exit_code == 1 and f"broken at entry id {ids[3]} " in result.stderr
    assert "previous hash is not the hash of the entry before it" in result.stderr


def test_the_chain_is_walked_in_batches(app):
    _record(7)
    assert verify_chain(db.session, batch=2).count == 7
    db.session.execute(text("UPDATE audit_entry SET reason = 'x' WHERE chain_index = 6"))
    db.session.commit()
    verdict = verify_chain(db.session, batch=2)
    assert verdict.problem == "changed" and verdict.count == 5


def test_staff_actions_at_the_same_moment_make_one_chain(app):
    """Two transactions appending at once must not both chain to the same entry (a lock held until
    commit: PostgreSQL's advisory lock, SQLite's one writer)."""
    workers, each = 6, 4
    start = threading.Barrier(workers)
    errors = []

    def work(worker):
        try:
            with app.app_context():
                start.wait()
                for n in range(each):
                    record_staff_action(None, "role.grant", "user", worker * 100 + n, details={"worker": worker})
                    db.session.commit()
                db.session.remove()
        except Exception as error:  # noqa: BLE001
            errors.append(error)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    verdict = verify_chain(db.session)
    assert verdict.intact and verdict.count == workers * each


# Only the append lock's write that changes nothing (civic/audit/chain.py) may name the table.
LOCK_STATEMENT = "UPDATE audit_entry SET id = id WHERE 0 = 1"
CHANGES = re.compile(
    r"(update|delete)\(\s*AuditEntry\b|\.delete\(\s*(audit_entry|entry)\b|"
    r"(UPDATE|DELETE\s+FROM)\s+audit_entry|AuditEntry\.__table__\.(update|delete)",
    re.IGNORECASE,
)


def test_no_code_updates_or_deletes_audit_entries():
    found = []
    for path in sorted((project_root() / "civic").rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if CHANGES.search(line) and LOCK_STATEMENT not in line:
                found.append(f"{path.relative_to(project_root())}:{number}: {line.strip()}")
    assert found == []
