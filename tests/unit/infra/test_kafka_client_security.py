"""Kafka security settings -> client options, and the secure broker's pieces, without I/O."""

from __future__ import annotations

import ssl
from pathlib import Path

import faust
import pytest

from infra.kafka.client_security import KafkaSecurityError, aiokafka_options, faust_credentials
from infra.kafka.secure_broker import (
    BROKER_PRINCIPAL,
    OPERATIONS,
    AclRule,
    ScramUser,
    SecurityConfig,
    TlsFiles,
    secure_properties,
)
from infra.settings import Settings

PASSWORD = "s3cret-Password"  # noqa: S105 (a test credential)


def secure(**overrides: object) -> Settings:
    fields: dict[str, object] = {
        "kafka_security_protocol": "SASL_SSL",
        "kafka_sasl_username": "county-610902",
        "kafka_sasl_password": PASSWORD,
    }
    fields.update(overrides)
    return Settings(**fields)  # type: ignore[arg-type]


def test_plaintext_adds_nothing() -> None:
    settings = Settings(kafka_security_protocol="PLAINTEXT")
    assert aiokafka_options(settings) == {}
    assert faust_credentials(settings) is None


def test_sasl_ssl_options_carry_scram_over_verified_tls() -> None:
    options = aiokafka_options(secure())
    assert options["security_protocol"] == "SASL_SSL"
    assert options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert options["sasl_plain_username"] == "county-610902"
    assert options["sasl_plain_password"] == PASSWORD
    context = options["ssl_context"]
    assert isinstance(context, ssl.SSLContext)
    assert context.check_hostname
    assert context.verify_mode == ssl.CERT_REQUIRED


def test_faust_credentials_are_sasl_ssl() -> None:
    credentials = faust_credentials(secure(kafka_sasl_mechanism="SCRAM-SHA-256"))
    assert isinstance(credentials, faust.SASLCredentials)
    assert credentials.protocol.value == "SASL_SSL"
    assert credentials.mechanism.value == "SCRAM-SHA-256"
    assert PASSWORD not in repr(credentials)


@pytest.mark.parametrize("missing", ["kafka_sasl_username", "kafka_sasl_password"])
def test_sasl_ssl_without_credentials_is_refused(missing: str) -> None:
    with pytest.raises(ValueError, match="LIUDONG_KAFKA_SASL_"):
        secure(**{missing: None})
    # Settings built without validation still cannot reach a client half-configured.
    unchecked = Settings.model_construct(kafka_security_protocol="SASL_SSL")
    with pytest.raises(KafkaSecurityError, match="LIUDONG_KAFKA_SASL_"):
        aiokafka_options(unchecked)


def test_unknown_protocol_is_refused_by_settings() -> None:
    with pytest.raises(ValueError, match="kafka_security_protocol"):
        Settings(kafka_security_protocol="SASL_PLAINTEXT")


def test_the_password_never_shows_in_settings_or_users() -> None:
    assert PASSWORD not in repr(secure())
    assert PASSWORD not in repr(ScramUser("worker", PASSWORD))


@pytest.mark.parametrize("bad", ["a,b", "x]", 'q"', "", "sp ace"])
def test_scram_user_refuses_what_the_format_tool_cannot_quote(bad: str) -> None:
    with pytest.raises(ValueError, match="SCRAM"):
        ScramUser("u", bad)
    with pytest.raises(ValueError, match="SCRAM"):
        ScramUser(bad, "p")


def test_acl_rule_expands_to_one_binding_per_resource_and_operation() -> None:
    rule = AclRule("worker", ("Read", "Describe"), topics=("a", "b"), groups=("g",))
    bindings = rule.bindings()
    assert len(bindings) == 6
    assert (2, "a", 3, "User:worker", "*", OPERATIONS["Read"], 3) in bindings
    assert (3, "g", 3, "User:worker", "*", OPERATIONS["Describe"], 3) in bindings
    prefixed = AclRule("worker", ("All",), topics=("p-",), prefixed=True).bindings()
    assert prefixed == [(2, "p-", 4, "User:worker", "*", OPERATIONS["All"], 3)]


def test_secure_properties_deny_by_default_and_expose_only_sasl_ssl(tmp_path: Path) -> None:
    key, chain = tmp_path / "broker.key", tmp_path / "broker.pem"
    key.write_text("KEY\n")
    chain.write_text("CHAIN\n")
    security = SecurityConfig(ScramUser("admin", "pw"), (ScramUser("county-610902", "pw2"),))
    props = secure_properties(
        host="127.0.0.1",
        broker_port=1,
        internal_port=2,
        controller_port=3,
        tls=TlsFiles(tmp_path / "ca.pem", key, chain),
        security=security,
    )
    assert props["advertised.listeners"].startswith("SASL_SSL://127.0.0.1:1,")
    assert "PLAINTEXT" not in props["listener.security.protocol.map"]
    assert props["allow.everyone.if.no.acl.found"] == "false"
    assert props["super.users"] == f"User:admin;User:{BROKER_PRINCIPAL}"
    assert props["listener.name.controller.ssl.client.auth"] == "required"
    assert props["ssl.keystore.key"] == "KEY\n"
    assert security.scram_format_args() == [
        "--add-scram",
        "SCRAM-SHA-512=[name=admin,password=pw]",
        "--add-scram",
        "SCRAM-SHA-512=[name=county-610902,password=pw2]",
    ]
