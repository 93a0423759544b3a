"""Application security: no county acts for another, no one reads outside their scope, no
secret or raw ID number reaches a log, and no SQL statement is built from values.

* Through the real gate (a real worker on the real broker): a county's key cannot publish
  as another county, sign in another county's name, act as a party it is not, or delegate
  a publisher in another county's name; every such event is dead-lettered, none validated.
* The dashboard on a real PostgreSQL (extending tests/integration/test_dashboard_api.py,
  not repeating it): exactly two public routes, county scope on every view and on the live
  stream whatever the query string says, sessions that end, sign-in that cannot be injected.
* Logs: one run with everything that handles secrets and ID numbers (county nodes hashing
  IDs, ``liudong publish`` reading an export of raw numbers, the worker, the projector, the
  dashboard signing operators in), all at debug level; every byte of log output is searched
  for the person-key secret, every private key, the password and every raw ID number.
* SQL: :mod:`tests.reliability.sql_scan` over the whole tree, against an allow-list.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import json
import logging
import os
import secrets
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
)

from contracts import obligation_vocabulary as vocabulary
from contracts.events.migration import OutflowRegistered
from contracts.events.registry import PublisherRegistered
from contracts.identity import InvalidNationalId
from dashboard import campaign_view, figures, flows, scope, worklist
from dashboard.api import ROUTES
from dashboard.auth import Principal, add_user
from infra.projection.migrate import migrate
from infra.projection.projector import Projector
from streams.admin import ensure_topics
from streams.county_node import CountyNode
from streams.signing import public_key_b64
from tests.integration.databases import empty_database
from tests.integration.pipeline import REGION, Pipeline
from tests.integration.test_dashboard_fixtures import (
    BAOAN,
    HANBIN,
    HANYIN,
    P1,
    P2,
    PASSWORD,
    fresh_database,
    running_dashboard,
    seed,
)
from tests.packages import PACKAGES
from tests.reliability.bad_inputs import DESTINATION, ORIGIN, THIRD, national_id
from tests.reliability.bad_inputs import with_bad_check_digit as bad_check_digit
from tests.reliability.sql_scan import Finding, scan
from tests.reliability.support import read_topic, register_counties

ROOT = Path(__file__).resolve().parents[2]
T0 = dt.datetime(2026, 5, 1, tzinfo=dt.UTC)
PARTITIONS = 3


# --- SQL: the static check ---------------------------------------------------------------------

# (file, function) -> (the pieces allowed into SQL text there, why they are safe)
ALLOWED: dict[tuple[str, str], tuple[frozenset[str], str]] = {
    ("dashboard/figures.py", "coverage_sql"): (
        frozenset({"w.sql"}),
        "a scope.Scoped fragment: constants and $n placeholders, the county in .args",
    ),
    **{
        ("dashboard/scope.py", fn): (
            frozenset({"a", "_alias(alias)", "arg"}),
            "a table alias checked against _ALIAS_OK, and the int of a $n placeholder",
        )
        for fn in ("obligations", "flow_ends", "tasks", "campaigns", "coverage")
    },
    ("dashboard/scope.py", "events"): (
        frozenset({"a", "arg", "f", "fields"}),
        "a checked table alias, the int of a $n placeholder, column names from PARTY_FIELDS",
    ),
    ("dashboard/figures.py", "county_totals_sql"): (
        frozenset({"w.sql"}),
        "a scope.Scoped fragment: constants and $n placeholders, the county in .args",
    ),
    # The dashboard's lists: every value is added with sql_args.Args.add, which returns its
    # "$n" placeholder; the rest is constants, scope fragments and vocabulary predicates.
    ("dashboard/worklist.py", "_days_overdue"): (
        frozenset({"clock", "vocabulary.sql('breached', alias='o')"}),
        "the vocabulary's breached predicate, and the clock's $n placeholder",
    ),
    ("dashboard/worklist.py", "total_sql"): (
        frozenset({"clause"}),
        "where(): the vocabulary's predicate, a scope fragment and $n placeholders",
    ),
    ("dashboard/worklist.py", "rows_sql"): (
        frozenset({"COLUMNS", "clause", "days", "args.add(limit)", "args.add(offset)"}),
        "constant columns, where()'s clause, _days_overdue() and $n placeholders",
    ),
    ("dashboard/flows.py", "flows_sql"): (
        frozenset({"FLOW_EVENTS", "clause", "n"}),
        "a constant subquery, scope and _within() fragments of $n placeholders, and the int "
        "prefix length of a level (PREFIX)",
    ),
    ("dashboard/campaign_view.py", "<module>"): (
        frozenset({"vocabulary.sql('overdue', alias='o')"}),
        "the vocabulary's overdue predicate: constants only",
    ),
    **{
        ("dashboard/campaign_view.py", fn): (
            frozenset(
                {
                    "TASK_OVERDUE",
                    "tw.sql",
                    "cw.sql",
                    "clause",
                    "clock_arg",
                    "args.add(campaign_id)",
                    "args.add(limit)",
                    "args.add(offset)",
                }
            ),
            "the constant overdue test, scope fragments and $n placeholders",
        )
        for fn in ("campaigns_sql", "by_county_sql", "unanswered_sql")
    },
    ("dashboard/dead_letter_view.py", "list_sql"): (
        frozenset({"clause", "args.add(limit)", "args.add(offset)"}),
        "TRUE or a reason code's $n placeholder, and $n placeholders",
    ),
    ("contracts/obligation_vocabulary.py", "sql"): (
        frozenset({"alias", "listed", "str(int(horizon_arg))"}),
        "an alias matched against _ALIAS, quoted state names from LIFECYCLE, an int $n",
    ),
    ("contracts/obligation_vocabulary.py", "guard_sql"): (
        frozenset({"column", "listed", "transition"}),
        "a table name matched against _ALIAS, state names from LIFECYCLE and MOVES_FROM",
    ),
    ("infra/projection/reads.py", "obligation_counts_sql"): (
        frozenset(
            {
                "c.name",
                "vocabulary.sql(c.name, horizon_arg=1)",
                "', '.join(columns)",
                "where",
                "group_by",
                "head",
            }
        ),
        "the vocabulary's count names and predicates, a where fragment of constants and $n "
        "(callers pass scope.Scoped.sql), a group_by checked against _GROUPS",
    ),
    ("infra/projection/obligation_rows.py", "<module>"): (
        frozenset(
            {
                "vocabulary.guard_sql('reminded')",
                "vocabulary.guard_sql('fulfilled')",
                "vocabulary.guard_sql('breached')",
                "vocabulary.guard_sql('escalated')",
                "vocabulary.guard_sql('cancelled')",
            }
        ),
        "the vocabulary's state guards: CASE expressions of constant state names",
    ),
    ("entrypoints/demo_report.py", "<module>"): (
        frozenset({"vocabulary.sql('overdue')"}),
        "the vocabulary's overdue predicate: constants only",
    ),
    (
        "tests/unit/dashboard/test_dashboard_scope.py",
        "test_a_county_sees_its_own_coverage_and_its_own_events_only",
    ): (
        frozenset({"field"}),
        "the expected text of a fragment, compared, never run",
    ),
    ("dashboard/scope.py", "case_party_sql"): (
        frozenset({"f", "fields"}),
        "column names from the constant PARTY_FIELDS",
    ),
    ("tests/integration/databases.py", "empty_database"): (
        frozenset({"name"}),
        "a database name made of a prefix and uuid hex: an identifier, never a $n",
    ),
    (
        "tests/unit/dashboard/test_dashboard_scope.py",
        "test_case_party_query_checks_every_party_field",
    ): (
        frozenset({"field"}),
        "the expected text of a fragment, compared, never run",
    ),
}


def _tree_findings() -> list[Finding]:
    found: list[Finding] = []
    for top in (*PACKAGES, "tests"):
        for path in sorted((ROOT / top).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            found += scan(path.read_text(encoding="utf-8"), rel)
    return found


def test_the_scanner_catches_every_way_of_building_sql_from_values() -> None:
    """The check can fail: each way of putting a value into SQL text is caught, the
    parameterized forms are not, and the finding names the offending piece."""
    caught = {
        'f"SELECT * FROM persons WHERE person_key = {key}"': ("f-string", "key"),
        '"DELETE FROM t WHERE id = %s" % ident': ("percent", "ident"),
        "\"SELECT * FROM t WHERE c = '%s' AND d = %d\" % (c, d)": ("percent", "(c, d)"),
        '"UPDATE t SET a = {} WHERE b = 1".format(a)': ("format", "a"),
        '"SELECT * FROM t WHERE name = \'" + name + "\'"': ("concat", "name"),
        "conn.execute(prefix + suffix)": ("sink", "prefix + suffix"),
        'conn.fetch(f"{statement}", 1)': ("sink", "f'{statement}'"),
        "await conn.fetchval(query.format(x))": ("sink", "query.format(x)"),
        "Q = 'SELECT a FROM t WHERE b = %s'\ndef f(v):\n    return Q % v": ("percent", "v"),
        "Q = 'INSERT INTO t VALUES ('\ndef g(v):\n    return Q + v + ')'": ("concat", "v"),
        'f"x.assignee = ${n} OR {col} = 1"': ("f-string", "n"),
    }
    for source, (how, piece) in caught.items():
        found = scan(source)
        assert found, f"not caught: {source}"
        assert found[0].how == how, (source, found)
        assert piece in found[0].pieces, (source, found)
    clean = [
        'conn.fetch("SELECT * FROM t WHERE id = $1", ident)',
        'SQL = "SELECT a FROM t WHERE b = $1 AND c = ANY($2::text[])"',
        '"SELECT a " "FROM t WHERE b = $1"',
        'log.info(f"published {n} events")',
        'raise ValueError(f"{code} is not a current county code")',
        '"a" + b',
    ]
    for source in clean:
        assert scan(source) == [], source


def test_every_sql_statement_in_the_tree_is_parameterized() -> None:
    unexpected = []
    seen: set[tuple[str, str]] = set()
    for f in _tree_findings():
        allowed, _ = ALLOWED.get((f.path, f.function), (frozenset[str](), ""))
        extra = set(f.pieces) - allowed
        if extra:
            unexpected.append(f"{f.path}:{f.line} in {f.function} ({f.how}): {sorted(extra)}")
        else:
            seen.add((f.path, f.function))
    assert not unexpected, "SQL built from values:\n" + "\n".join(unexpected)
    stale = sorted(set(ALLOWED) - seen)
    assert not stale, f"allow-list entries that match nothing any more: {stale}"


def test_allowed_fragments_carry_the_county_only_as_a_parameter() -> None:
    """The allow-list's reasons, checked: a hostile county value never enters SQL text."""
    hostile = Principal("mallory", "county", "610902' OR TRUE --")
    clock = dt.datetime(2026, 5, 1, tzinfo=dt.UTC)
    every = worklist.Filter("due_soon", "610921", "inquiry_answer", 3)
    built: list[tuple[str, Any]] = [
        figures.obligation_counts_sql(hostile),
        worklist.total_sql(hostile, worklist.Filter("overdue"), clock),
        worklist.rows_sql(hostile, every, clock, 50, 0),
        figures.county_totals_sql(hostile),
        flows.flows_sql(hostile, flows.FlowQuery("county", "610000"))[1:],
        figures.coverage_sql(hostile),
        campaign_view.campaigns_sql(hostile),
        campaign_view.by_county_sql(hostile, "qingcha"),
        campaign_view.unanswered_sql(hostile, "qingcha", None, clock, 20, 0)[::2],
    ]
    check = scope.may_read_case(hostile)
    assert check is not None
    built.append(check)
    for sql, args in built:
        assert "OR TRUE" not in sql
        assert hostile.county in args
    for name in scope.PARTY_FIELDS:
        assert name.isidentifier()
        assert name.islower()
    with pytest.raises(ValueError, match="alias"):
        scope.tasks(hostile, alias="t; DROP TABLE events; --")


# --- the dashboard -------------------------------------------------------------------------------


class Api:
    def __init__(self, session: aiohttp.ClientSession, base: str) -> None:
        self.session = session
        self.base = base.rstrip("/")

    async def login(self, body: Any) -> tuple[int, dict[str, Any]]:
        async with self.session.post(f"{self.base}/api/login", json=body) as r:
            return r.status, await r.json()

    async def token(self, user: str, password: str = PASSWORD) -> str:
        status, body = await self.login({"username": user, "password": password})
        assert status == 200, body
        return str(body["token"])

    async def get(self, path: str, token: str | None = None) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        async with self.session.get(f"{self.base}{path}", headers=headers) as r:
            body = await r.json() if "json" in r.headers.get("Content-Type", "") else None
            return r.status, body


@pytest.fixture
async def seeded(pg_dsn: str) -> AsyncIterator[str]:
    async with fresh_database(pg_dsn) as database:
        conn = await asyncpg.connect(database)
        try:
            await seed(conn)
        finally:
            await conn.close()
        yield database


@pytest.fixture
async def api(seeded: str) -> AsyncIterator[Api]:
    async with running_dashboard(seeded) as server, aiohttp.ClientSession() as session:
        yield Api(session, server.url)


def test_only_sign_in_and_the_api_document_are_public() -> None:
    public = {(r.method, r.path) for r in ROUTES if r.roles is None}
    assert public == {
        ("POST", "/api/login"),
        ("GET", "/api/session"),
        ("GET", "/api/openapi.json"),
    }


@pytest.mark.integration
async def test_county_scope_holds_on_every_view_and_the_stream(api: Api) -> None:
    token = await api.token("hanbin")
    # The query string cannot widen the scope: ?county= narrows the worklist to a responsible
    # county within the operator's scope, and no other view reads it.
    status, pairs = await api.get(f"/api/flows?level=county&county={HANYIN}", token)
    assert status == 200
    assert {(f["origin"], f["destination"]) for f in pairs["pairs"]} == {(HANBIN, BAOAN)}
    seen_obligations = set()
    for state in vocabulary.NAMES:
        for county in ("", HANYIN):
            status, body = await api.get(f"/api/obligations?state={state}&county={county}", token)
            assert status == 200, state
            for item in body["items"]:
                assert HANBIN in (item["responsible_county"], item["counterpart_county"]), item
                seen_obligations.add(item["obligation_id"])
    assert seen_obligations == {"ob-p1-arrival", "ob-p1-receipt"}  # not Hanyin's ob-p2
    status, coverage = await api.get("/api/coverage?which=all", token)
    assert status == 200
    assert [c["scope"] for c in coverage["page"]["items"]] == [HANBIN]
    status, campaigns = await api.get("/api/campaigns", token)
    assert status == 200
    (campaign,) = campaigns["campaigns"]
    assert (campaign["assigned"], campaign["answered"]) == (1, 1)  # task-2 is Hanyin's
    assert (await api.get(f"/api/cases/{P2}", token))[0] == 403
    assert (await api.get(f"/api/cases/{P1}", token))[0] == 200
    assert (await api.get("/api/dead-letters", token))[0] == 403

    # The live stream pushes the same scoped summary.
    async with api.session.get(
        f"{api.base}/api/stream", headers={"Authorization": f"Bearer {token}"}
    ) as response:
        assert response.status == 200
        summary = None
        async for raw in response.content:
            line = raw.decode()
            if line.startswith("data: ") and '"obligations"' in line:
                summary = json.loads(line[6:])
                break
    assert summary is not None
    assert summary["dead_letters"] is None
    assert summary["obligations"]["counts"]["escalated"] == 0
    assert summary["coverage"]["scope"] == HANBIN


@pytest.mark.integration
async def test_sessions_end_on_expiry_and_on_password_change(seeded: str) -> None:
    async with (
        running_dashboard(seeded, session_ttl=dt.timedelta(seconds=1)) as server,
        aiohttp.ClientSession() as session,
    ):
        short = Api(session, server.url)
        token = await short.token("hanyin")
        assert (await short.get("/api/me", token))[0] == 200
        await asyncio.sleep(1.5)
        status, body = await short.get("/api/me", token)
        assert (status, body["error"]) == (401, "unauthenticated")
    async with running_dashboard(seeded) as server, aiohttp.ClientSession() as session:
        api = Api(session, server.url)
        token = await api.token("hanbin")
        conn = await asyncpg.connect(seeded)
        try:  # an administrator resets the password: every session of that user ends
            await add_user(conn, "hanbin", "a new long password", "county", HANBIN)
        finally:
            await conn.close()
        assert (await api.get("/api/me", token))[0] == 401
        assert (await api.login({"username": "hanbin", "password": PASSWORD}))[0] == 401


@pytest.mark.integration
async def test_sign_in_and_tokens_resist_injection(api: Api) -> None:
    for username, password in [
        ("region' OR '1'='1", "' OR ''='"),
        ("region'--", "anything"),
        ("region", "' OR 1=1 --"),
        ("%", "%"),
    ]:
        status, body = await api.login({"username": username, "password": password})
        assert (status, body["error"]) == (401, "bad_credentials"), username
    for body in ({"username": "region", "password": {"$ne": ""}}, {"username": ["region"]}):
        assert (await api.login(body))[0] == 400
    good = await api.token("region")
    for token in ("' OR 1=1 --", good[:-1] + ("A" if good[-1] != "A" else "B"), good + "x"):
        assert (await api.get("/api/summary", token))[0] == 401, token
    api.session.cookie_jar.update_cookies({"liudong_session": "' OR ''='"})
    assert (await api.get("/api/summary"))[0] == 401


# --- the gate and the logs ---------------------------------------------------------------------


def key_material(key: Ed25519PrivateKey) -> list[str]:
    """Every form a private key could leak in: the PEM's base64 body, raw base64 and hex."""
    pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()
    body = [line for line in pem.splitlines() if line and not line.startswith("-----")]
    raw = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    return [*body, base64.b64encode(raw).decode(), raw.hex()]


@pytest.mark.integration
@pytest.mark.timeout(300)
async def test_no_county_acts_for_another_and_no_secret_reaches_a_log(
    kafka_bootstrap: str,
    pg_dsn: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    secret = secrets.token_hex(24)
    password = secrets.token_urlsafe(18)
    # The worker gets the secret too (a shared deployment environment), at debug level.
    monkeypatch.setenv("LIUDONG_PERSON_KEY_SECRET", secret)
    monkeypatch.setenv("LIUDONG_LOG_LEVEL", "debug")
    monkeypatch.setenv("LIUDONG_WORKER_LOG_LEVEL", "info")
    pipeline = Pipeline(kafka_bootstrap, f"sec{uuid.uuid4().hex[:8]}", tmp_path, PARTITIONS)
    prefix = pipeline.prefix
    await ensure_topics(kafka_bootstrap, prefix=prefix, partitions=PARTITIONS, replication_factor=1)
    keys = {code: Ed25519PrivateKey.generate() for code in (ORIGIN, DESTINATION, THIRD)}
    delegated_key = Ed25519PrivateKey.generate()

    def node(county: str, key: Ed25519PrivateKey, publisher: str | None = None) -> CountyNode:
        return CountyNode(
            county=county,
            private_key=key,
            person_key_secret=secret.encode(),
            bootstrap_servers=kafka_bootstrap,
            publisher_id=publisher,
            topic_prefix=prefix,
        )

    region = node(REGION, pipeline.region_key, f"{REGION}/region")
    origin = node(ORIGIN, keys[ORIGIN])
    third = keys[THIRD]
    impostors = {  # 汉阴县's key, trying to act for 汉滨区
        "county_mismatch": node(ORIGIN, third, f"{THIRD}/node"),  # its own id, 汉滨区's name
        "bad_signature": node(ORIGIN, third),  # 汉滨区's node id, signed with 汉阴县's key
        "not_a_party": node(THIRD, third),  # honest about itself, but 汉滨区's resident
        "unknown_publisher": node(ORIGIN, delegated_key, f"{ORIGIN}/police"),  # see below
    }
    raw_ids = [national_id(i) for i in range(30)]
    refused_id = bad_check_digit(national_id(99))
    try:
        for n in (region, origin, *impostors.values()):
            await n.start()
        await register_counties(region, keys, T0)
        # 汉阴县 delegates a "police" publisher in 汉滨区's name: refused on the registry.
        await impostors["county_mismatch"].publish(
            impostors["county_mismatch"].build(
                PublisherRegistered,
                occurred_at=T0,
                county=ORIGIN,
                publisher=f"{ORIGIN}/police",
                role="police",
                public_key=public_key_b64(delegated_key),
                event_types=("outflow_registered",),
            )
        )
        pipeline.start_worker()
        for raw in raw_ids[:20]:  # the node hashes each number; only the key travels
            await origin.publish(_outflow(origin, origin.person_key(raw)))
        with pytest.raises(InvalidNationalId) as refused:
            origin.person_key(refused_id)
        assert refused_id not in str(refused.value)
        forged = {}
        for code, impostor in impostors.items():
            event = _outflow(impostor, origin.person_key(raw_ids[29]))
            forged[str(event.event_id)] = code
            await impostor.publish(event)
    finally:
        for n in (region, origin, *impostors.values()):
            await n.stop()

    # `liudong publish`, as a county integrator runs it, on an export of raw numbers.
    cli = _publish_cli(pipeline, keys[ORIGIN], [*raw_ids[20:29], refused_id], tmp_path, secret)
    assert cli.returncode == 1, cli.stderr  # one line refused: the bad check digit
    assert "published 9 events, rejected 1 lines" in cli.stdout

    validated = await read_topic(
        kafka_bootstrap, f"{prefix}.validated", until=lambda got: len(got) >= 29, wait_s=180
    )
    dead = await read_topic(
        kafka_bootstrap, f"{prefix}.dead-letters", until=lambda got: len(got) >= 5, wait_s=60
    )
    admitted = {json.loads(v or b"{}")["event_id"] for _, _, v in validated}
    assert len(admitted) == 29
    assert not admitted & set(forged), "an impostor's event was validated"
    codes = {}
    for _, _, value in dead:
        record = json.loads(value or b"{}")
        raw = json.loads(base64.b64decode(record["raw"]))
        codes[raw.get("event_id")] = record["reason_code"]
    assert {forged[i]: codes.get(i) for i in forged} == {c: c for c in forged.values()}
    assert "county_mismatch" in codes.values()  # and the delegation itself, on the registry
    assert len(dead) == 5

    # The projector and the dashboard handle the same data, logging into this process.
    async with empty_database(pg_dsn, "sec") as dsn:
        conn = await asyncpg.connect(dsn)
        try:
            await migrate(conn)
            await add_user(conn, "auditor", password, "region")
        finally:
            await conn.close()
        await Projector(dsn, kafka_bootstrap, prefix).catch_up(60)
        async with running_dashboard(dsn) as server, aiohttp.ClientSession() as session:
            api = Api(session, server.url)
            assert (await api.login({"username": "auditor", "password": password + "!"}))[0] == 401
            token = await api.token("auditor", password)
            person = origin.person_key(raw_ids[0])
            assert (await api.get(f"/api/cases/{person}", token))[0] == 200
    pipeline.stop_worker()

    captured = capfd.readouterr()
    logs = {
        "worker.log": (tmp_path / "worker.log").read_text(errors="replace"),
        "liudong publish": cli.stdout + cli.stderr,
        "test process (fd 1 and 2)": captured.out + captured.err,
        "test process (logging)": caplog.text,
    }
    needles = {"the person-key secret": secret, "the operator's password": password}
    for name, key in [*keys.items(), ("region", pipeline.region_key), ("delegated", delegated_key)]:
        for i, material in enumerate(key_material(key)):
            needles[f"private key {name} #{i}"] = material
    for index, raw in enumerate([*raw_ids, refused_id]):
        needles[f"ID number #{index}"] = raw
    leaks = [
        f"{what} in {where}"
        for where, text in logs.items()
        for what, needle in needles.items()
        if needle in text
    ]
    sizes = {where: len(text) for where, text in logs.items()}
    print(
        f"\napp security: {len(forged) + 1} impostor attempts, {len(forged) + 1} refused, "
        f"0 validated; logs searched {sizes} for {len(needles)} secrets and ID numbers: "
        f"{len(leaks)} found"
    )
    # The capture saw real activity: an empty log would pass any search.
    assert "event_dead_lettered" in logs["worker.log"]
    assert "dashboard_login" in logs["test process (fd 1 and 2)"]
    assert "projection_started" in logs["test process (fd 1 and 2)"]
    assert not leaks, leaks


def _outflow(node: CountyNode, person: str) -> OutflowRegistered:
    return node.build(
        OutflowRegistered,
        occurred_at=T0,
        person_key=person,
        origin_county=ORIGIN,
        destination_county=DESTINATION,
    )


def _publish_cli(
    pipeline: Pipeline, key: Ed25519PrivateKey, ids: list[str], tmp_path: Path, secret: str
) -> subprocess.CompletedProcess[str]:
    key_file = tmp_path / "610902.pem"
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    export = tmp_path / "export.jsonl"
    export.write_text(
        "".join(
            json.dumps(
                {
                    "event_type": "outflow_registered",
                    "occurred_at": "2026-05-01T08:00:00+08:00",
                    "national_id": number,
                    "origin_county": ORIGIN,
                    "destination_county": DESTINATION,
                }
            )
            + "\n"
            for number in ids
        ),
        encoding="utf-8",
    )
    env = dict(
        os.environ,
        LIUDONG_KAFKA_BOOTSTRAP=pipeline.bootstrap,
        LIUDONG_TOPIC_PREFIX=pipeline.prefix,
        LIUDONG_HOME=str(tmp_path / "cli-home"),
        LIUDONG_LOG_FORMAT="json",
    )
    argv = [sys.executable, "-m", "entrypoints.cli", "publish", "--county", ORIGIN]
    return subprocess.run(
        [*argv, "--key", str(key_file), str(export)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
