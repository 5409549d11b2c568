"""Accounts: Argon2id passwords, the lockout, sessions and tokens by hash only, and the
`traject users` commands production uses instead of demo users."""

from __future__ import annotations

import io
import re
import secrets
import threading
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import DEFINITIONS
from traject.cli import main
from traject.definition import compile_text
from traject.seed import seed
from traject.store import accounts
from traject.store import repositories as repo
from traject.store.accounts import AccountError
from traject.store.db import make_engine, session_factory, transaction
from traject.store.migrate import upgrade
from traject.store.models import ApiToken, AuditEvent, LoginSession, Task

PASSWORD = "a long enough secret"


def test_passwords_sessions_and_tokens(session: Session) -> None:
    repo.ensure_municipality(session, "zaanstad", "Gemeente Zaanstad")
    user = accounts.create_user(
        session, "zaanstad", "amal", "Amal", ["caseworker"], ["klantmanager"], PASSWORD
    )
    assert user.password_hash and user.password_hash.startswith("$argon2id$")
    assert accounts.authenticate(session, "zaanstad", "amal", PASSWORD).id == user.id
    with pytest.raises(AccountError, match="unknown user or wrong password"):
        accounts.authenticate(session, "zaanstad", "amal", "wrong password!")
    with pytest.raises(AccountError, match="unknown user or wrong password"):
        accounts.authenticate(session, "zaanstad", "nobody", PASSWORD)
    with pytest.raises(AccountError, match="unknown role"):
        accounts.create_user(session, "zaanstad", "x", "X", ["superuser"], [], PASSWORD)
    with pytest.raises(AccountError, match="at least 12"):
        accounts.create_user(session, "zaanstad", "y", "Y", [], [], "short")

    cookie, csrf = accounts.open_session(session, user)
    stored = session.scalars(select(LoginSession).where(LoginSession.user_id == user.id)).one()
    assert cookie not in stored.token_hash and stored.token_hash == accounts.digest(cookie)
    principal = accounts.session_principal(session, cookie)
    assert (
        principal is not None
        and principal.csrf_token == csrf
        and principal.ref == f"user:{user.id}"
    )
    _, token = accounts.create_token(session, user, "zaaksysteem")
    assert session.scalar(select(ApiToken.token_hash)) != token
    assert accounts.token_principal(session, token) is not None
    accounts.set_password(session, user, "another long secret")  # closes the sessions
    assert accounts.session_principal(session, cookie) is None


def test_ten_wrong_passwords_lock_the_account(session: Session) -> None:
    repo.ensure_municipality(session, "leiden", "Gemeente Leiden")
    accounts.create_user(session, "leiden", "bo", "Bo", ["caseworker"], [], PASSWORD)
    for _ in range(accounts.MAX_FAILED_LOGINS):
        with pytest.raises(AccountError):
            accounts.authenticate(session, "leiden", "bo", "not the password")
    with pytest.raises(AccountError, match="locked"):
        accounts.authenticate(session, "leiden", "bo", PASSWORD)  # even the right one, for now


def test_wrong_passwords_sent_at_once_lock_the_account_after_ten(migrated: str) -> None:
    """Attempts at the same moment each count: no more than ten passwords are checked before the
    account locks (counting after the check let every one of them through)."""
    sessions = session_factory(make_engine(migrated))
    name = f"snel{secrets.token_hex(3)}"
    with transaction(sessions) as session:
        repo.ensure_municipality(session, "leiden", "Gemeente Leiden")
        accounts.create_user(session, "leiden", name, "Snel", ["caseworker"], [], PASSWORD)
    attempts = 2 * accounts.MAX_FAILED_LOGINS
    barrier = threading.Barrier(attempts)
    answers: list[str] = []

    def guess(n: int) -> None:
        barrier.wait()
        with transaction(sessions) as session:  # refused inside it, as the login routes do
            try:
                accounts.authenticate(session, "leiden", name, f"guess number {n}")
            except AccountError as refused:
                answers.append("locked" if "locked" in str(refused) else "wrong")

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wrong = accounts.MAX_FAILED_LOGINS
    assert Counter(answers) == {"wrong": wrong, "locked": attempts - wrong}
    with transaction(sessions) as session, pytest.raises(AccountError, match="locked"):
        accounts.authenticate(session, "leiden", name, PASSWORD)


def test_the_users_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'traject.db'}"
    upgrade(url)
    monkeypatch.setenv("TRAJECT_DATABASE_URL", url)
    from traject.store.db import make_engine, session_factory, transaction

    with transaction(session_factory(make_engine(url))) as session:
        repo.ensure_municipality(session, "zaanstad", "Gemeente Zaanstad")
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    args = ["users", "add", "zaanstad", "j.jansen", "--name", "J. Jansen", "--role", "caseworker"]
    assert main(args) == 0
    assert main(["users", "token", "zaanstad", "j.jansen", "--name", "koppeling"]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith(accounts.TOKEN_PREFIX)
    assert main(["users", "token", "zaanstad", "nobody", "--name", "x"]) == 2
    assert "no user 'nobody'" in capsys.readouterr().err


def zaanstad_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> sessionmaker[Session]:
    """A migrated SQLite store with zaanstad in it, where `traject users` looks."""
    url = f"sqlite:///{tmp_path / 'traject.db'}"
    upgrade(url)
    monkeypatch.setenv("TRAJECT_DATABASE_URL", url)
    sessions = session_factory(make_engine(url))
    with transaction(sessions) as session:
        repo.ensure_municipality(session, "zaanstad", "Gemeente Zaanstad")
    return sessions


def test_the_users_command_lists_and_revokes_tokens(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Ops revoke an integration's token from the command line: it is refused from then on,
    revoking it again changes nothing, and another user's token is not theirs to revoke."""
    sessions = zaanstad_store(tmp_path, monkeypatch)
    for name in ("j.jansen", "p.pietersen"):
        assert main(["users", "add", "zaanstad", name, "--name", name, "--no-password"]) == 0
    assert main(["users", "token", "zaanstad", "j.jansen", "--name", "zaaksysteem"]) == 0
    token = capsys.readouterr().out.splitlines()[-1]
    assert main(["users", "token", "zaanstad", "p.pietersen", "--name", "koppeling"]) == 0
    theirs = capsys.readouterr().out.splitlines()[-1]

    assert main(["users", "tokens", "zaanstad", "j.jansen"]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    token_id = int(line.split()[0])
    assert "zaaksysteem" in line and "used never" in line and line.endswith("active")
    assert re.search(r"made \d{4}-\d\d-\d\d \d\d:\d\d UTC", line)  # says which clock
    assert token not in line

    assert main(["users", "revoke-token", "zaanstad", "j.jansen", str(token_id)]) == 0
    revoked = capsys.readouterr().out.strip()
    assert revoked.startswith(f"token {token_id} (zaaksysteem) revoked ")
    with transaction(sessions) as session:
        assert accounts.token_principal(session, token) is None
        assert accounts.token_principal(session, theirs) is not None
    assert main(["users", "revoke-token", "zaanstad", "j.jansen", str(token_id)]) == 0
    assert capsys.readouterr().out.strip() == revoked  # the first revocation stands

    with transaction(sessions) as session:
        other = session.scalar(select(ApiToken.id).where(ApiToken.id != token_id))
        actions = session.scalars(
            select(AuditEvent.action).where(AuditEvent.actor == "cli").order_by(AuditEvent.id)
        ).all()
    assert main(["users", "revoke-token", "zaanstad", "j.jansen", str(other)]) == 2
    assert f"no token {other}" in capsys.readouterr().err
    assert actions == ["token_created", "token_created", "token_revoked"]
    assert main(["users", "tokens", "zaanstad", "j.jansen"]) == 0
    assert "revoked" in capsys.readouterr().out


def test_the_users_command_makes_no_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TRAJECT_DATABASE_URL", f"sqlite:///{tmp_path / 'data' / 'traject.db'}")
    assert main(["users", "list", "zaanstad"]) == 3
    assert "no Traject store at" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_a_deactivated_user_is_kept_out_everywhere_until_activated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Someone leaves the municipality: ops deactivate the account. Password, open sessions and
    API tokens stop working at once; the tasks they still hold are named; activating lets them
    in again. Each change is audited once."""
    sessions = zaanstad_store(tmp_path, monkeypatch)
    with transaction(sessions) as session:
        user = accounts.create_user(
            session, "zaanstad", "vertrekt", "Vertrekt", ["caseworker"], [], PASSWORD
        )
        cookie, _ = accounts.open_session(session, user)
        _, token = accounts.create_token(session, user, "koppeling")
        ref = f"user:{user.id}"
    source = (
        (DEFINITIONS / "pvt1.yaml")
        .read_text()
        .replace("municipality: voorbeeldgemeente", "municipality: zaanstad")
    )
    with transaction(sessions) as session:
        version = repo.publish(session, compile_text(source, "pvt1.yaml"), source, by="test")
        case_id = repo.create_case(session, version, "Amina").id
    held = Task(
        key="held",
        case_id=case_id,
        municipality="zaanstad",
        name="intake",
        state="intake",
        title="Intake",
        role="klantmanager",
        status="open",
        created_at=datetime.now(UTC),
        assignee=ref,
    )
    with transaction(sessions) as session:  # a task they hold
        session.add(held)

    assert main(["users", "deactivate", "zaanstad", "vertrekt"]) == 0
    said = capsys.readouterr().out
    assert "vertrekt is now deactivated" in said and "1 open task(s) are still claimed" in said
    with transaction(sessions) as session:
        with pytest.raises(AccountError):
            accounts.authenticate(session, "zaanstad", "vertrekt", PASSWORD)
        assert accounts.session_principal(session, cookie) is None
        assert accounts.token_principal(session, token) is None
        assert "vertrekt" not in {u.username for u in accounts.users_of(session, "zaanstad")}
    assert main(["users", "deactivate", "zaanstad", "vertrekt"]) == 0
    assert "vertrekt was already deactivated" in capsys.readouterr().out
    assert main(["users", "list", "zaanstad"]) == 0
    assert "(deactivated)" in capsys.readouterr().out
    assert main(["users", "list", "zaandam"]) == 2  # a typo lists nobody: said, not silent
    assert "no municipality 'zaandam'" in capsys.readouterr().err

    assert main(["users", "activate", "zaanstad", "vertrekt"]) == 0
    assert "vertrekt is now active" in capsys.readouterr().out
    with transaction(sessions) as session:
        assert accounts.authenticate(session, "zaanstad", "vertrekt", PASSWORD).active
        assert accounts.session_principal(session, cookie) is None  # closed for good
        assert accounts.token_principal(session, token) is not None
        actions = session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.action.in_(("user_deactivated", "user_activated")))
            .order_by(AuditEvent.id)
        ).all()
    assert actions == ["user_deactivated", "user_activated"]
    assert main(["users", "deactivate", "zaanstad", "niemand"]) == 2
    assert "no user 'niemand'" in capsys.readouterr().err


def test_the_demo_users_include_a_designer_in_every_municipality(tmp_path: Path) -> None:
    """`make up`'s demo users: a case worker in every group, each role of the definitions, and a
    process designer, so the Ontwerpen pages can be tried without adding a user first."""
    url = f"sqlite:///{tmp_path / 'traject.db'}"
    upgrade(url)
    sessions = session_factory(make_engine(url))
    published = seed(sessions, DEFINITIONS, demo_password=PASSWORD)
    with transaction(sessions) as session:
        for municipality in sorted({d.municipality for d in published}):
            designer = accounts.authenticate(session, municipality, "demo-ontwerper", PASSWORD)
            assert designer.roles == ["designer"] and designer.groups == [], municipality
            assert accounts.principal_of(designer, "password").has("designer")
            assert designer.display_name == "Demo Ontwerper"
        coordinator = accounts.find_user(session, "zaanstad", "demo-coordinator")
        assert coordinator is not None and coordinator.display_name == "Demo Coördinator"
