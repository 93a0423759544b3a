"""The opt-in secure mode of the local KRaft cluster: SASL/SCRAM over TLS, ACLs enforced.

Listeners of each node, all on loopback:

- ``SASL_SSL``: the only one clients use. SCRAM-SHA-512 (or -256) users are written into the
  metadata log when the storage is formatted (``StorageTool format --add-scram``).
- ``INTERNAL`` (inter-broker) and ``CONTROLLER``: TLS with client certificates required. SCRAM
  cannot guard the controller listener (the credentials live in the metadata the controller
  serves), so the nodes prove themselves with the broker certificate; its subject
  ``CN=liudong-broker`` is a super user, as is the admin user.

``StandardAuthorizer`` with ``allow.everyone.if.no.acl.found=false``: a principal may do only
what an ACL grants. The CA and broker certificate are throwaway (made at first start under
``<data_dir>/tls``); a real deployment brings its own PKI. ACLs are created through Kafka's
CreateAcls API (``create_acls``), as ``kafka-acls.sh --add`` would.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import os
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiokafka.client import AIOKafkaClient
from aiokafka.protocol.admin import CreateAclsRequest, DescribeAclsRequest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from infra.kafka.client_security import ssl_context

BROKER_PRINCIPAL = "CN=liudong-broker"
_SAFE = re.compile(r"^[A-Za-z0-9._-]+$")
_CERT_DAYS = 30
CLIENT_LISTENER = "SASL_SSL"
# Kafka's wire codes (org.apache.kafka.common.acl / resource): what CreateAcls carries.
_RESOURCE_TOPIC, _RESOURCE_GROUP = 2, 3
_PATTERN_ANY, _PATTERN_LITERAL, _PATTERN_PREFIXED = 1, 3, 4
_ANY, _ALLOW = 1, 3
OPERATIONS = {"All": 2, "Read": 3, "Write": 4, "Create": 5, "Delete": 6, "Alter": 7, "Describe": 8}
_ACL_VISIBLE_TIMEOUT_S = 30.0


class SecureBrokerError(RuntimeError):
    """An ACL was refused or did not come into force in time; the message says why."""


@dataclass(frozen=True)
class ScramUser:
    name: str
    password: str = field(repr=False)

    def __post_init__(self) -> None:
        # Both go inside "--add-scram SCRAM-SHA-512=[name=..,password=..]": no quoting exists
        # for "," or "]" there, so refuse them rather than escape.
        if not _SAFE.match(self.name) or not _SAFE.match(self.password):
            raise ValueError("SCRAM user names and passwords must match [A-Za-z0-9._-]+")


Binding = tuple[int, str, int, str, str, int, int]  # CreateAcls' creation fields, in order


@dataclass(frozen=True)
class AclRule:
    """Allow ``operations`` to ``user`` on every topic and group listed (from any host).

    Name groups only with operations groups have (Read, Describe, Delete, All): the broker
    stores a Write on a group without complaint, and it grants nothing.
    """

    user: str
    operations: tuple[str, ...]
    topics: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    prefixed: bool = False

    def bindings(self) -> list[Binding]:
        pattern = _PATTERN_PREFIXED if self.prefixed else _PATTERN_LITERAL
        resources = [(_RESOURCE_TOPIC, t) for t in self.topics]
        resources += [(_RESOURCE_GROUP, g) for g in self.groups]
        return [
            (kind, name, pattern, f"User:{self.user}", "*", OPERATIONS[op], _ALLOW)
            for kind, name in resources
            for op in self.operations
        ]


async def create_acls(
    bootstrap: str, admin_options: dict[str, Any], rules: Sequence[AclRule]
) -> int:
    """Create ``rules`` as the admin; returns how many bindings. aiokafka 0.14's admin client
    has no create_acls, but its protocol layer has CreateAcls (v1; Kafka 4.1 serves v1-v3)."""
    bindings = [b for rule in rules for b in rule.bindings()]
    client = AIOKafkaClient(bootstrap_servers=bootstrap, **admin_options)
    await client.bootstrap()
    try:
        node = client.get_random_node()
        answers = await asyncio.gather(
            *(client.send(node, CreateAclsRequest(*b)) for b in bindings)
        )
        # Array entries come back as plain tuples: (error_code, error_message).
        failed = [
            f"{b}: error {code} {message}"
            for b, answer in zip(bindings, answers, strict=True)
            for code, message in answer.creation_responses
            if code != 0
        ]
        if failed:
            raise SecureBrokerError("CreateAcls refused: " + "; ".join(failed))
        # The controller has committed them; the broker's authorizer applies them when it
        # reads that metadata, a moment later. Return only once they are in force.
        async with asyncio.timeout(_ACL_VISIBLE_TIMEOUT_S):
            while True:
                if set(bindings) <= await _described(client, node):
                    break
                await asyncio.sleep(0.1)
    finally:
        await client.close()
    return len(bindings)


async def _described(client: Any, node: int) -> set[Binding]:
    request = DescribeAclsRequest(_ANY, None, _PATTERN_ANY, None, None, _ANY, _ANY)
    answer = await client.send(node, request)
    if answer.error_code != 0:
        raise SecureBrokerError(f"DescribeAcls: error {answer.error_code} {answer.error_message}")
    # (resource_type, name, pattern_type, [(principal, host, operation, permission)]).
    return {
        (kind, name, pattern, *acl)
        for kind, name, pattern, acls in answer.resources
        for acl in acls
    }


@dataclass(frozen=True)
class SecurityConfig:
    """Users (the admin first, a super user) created when the storage is first formatted."""

    admin: ScramUser
    users: tuple[ScramUser, ...] = ()
    mechanism: str = "SCRAM-SHA-512"

    @classmethod
    def generated(cls, *users: ScramUser) -> SecurityConfig:
        """An ``admin`` with a random password, plus ``users``."""
        return cls(ScramUser("admin", secrets.token_urlsafe(24)), users)

    def scram_format_args(self) -> list[str]:
        return [
            arg
            for user in (self.admin, *self.users)
            for arg in (
                "--add-scram",
                f"{self.mechanism}=[name={user.name},password={user.password}]",
            )
        ]


@dataclass(frozen=True)
class TlsFiles:
    ca_cert: Path  # PEM: what clients trust (LIUDONG_KAFKA_SSL_CAFILE)
    key: Path  # PEM: the broker's private key (PKCS#8), 0600
    chain: Path  # PEM: the broker's certificate, then the CA's

    def keystore_properties(self) -> dict[str, str]:
        """The key store inline, as PEM text. Kafka's file-based PEM key store wants an
        encrypted key, and the JDK cannot decrypt the PBES2 keys ``cryptography`` writes
        ("PBES2 SecretKeyFactory not available"); inline PEM may be unencrypted."""
        return {
            "ssl.keystore.type": "PEM",
            "ssl.keystore.key": self.key.read_text(),
            "ssl.keystore.certificate.chain": self.chain.read_text(),
        }


def ensure_tls(directory: Path) -> TlsFiles:
    """The throwaway CA and broker certificate under ``directory``, made once."""
    files = TlsFiles(directory / "ca.pem", directory / "broker.key", directory / "broker.pem")
    if files.ca_cert.is_file() and files.key.is_file() and files.chain.is_file():
        return files
    directory.mkdir(parents=True, exist_ok=True)
    os.chmod(directory, 0o700)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = _ca_certificate(ca_key)
    broker_key = ec.generate_private_key(ec.SECP256R1())
    broker_cert = _broker_certificate(broker_key, ca_key, ca_cert)
    pem = serialization.Encoding.PEM
    key_pem = broker_key.private_bytes(
        pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    _write_private(files.key, key_pem.decode())
    files.chain.write_bytes(broker_cert.public_bytes(pem) + ca_cert.public_bytes(pem))
    files.ca_cert.write_bytes(ca_cert.public_bytes(pem))
    return files


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)


def _validity() -> tuple[dt.datetime, dt.datetime]:
    # Certificates are checked against the wall clock by TLS itself; nothing decides on it.
    now = dt.datetime.now(dt.UTC)
    return now - dt.timedelta(hours=1), now + dt.timedelta(days=_CERT_DAYS)


def _ca_certificate(key: ec.EllipticCurvePrivateKey) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "liudong test CA")])
    begin, end = _validity()
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(begin)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )


def _broker_certificate(
    key: ec.EllipticCurvePrivateKey, ca_key: ec.EllipticCurvePrivateKey, ca: x509.Certificate
) -> x509.Certificate:
    begin, end = _validity()
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "liudong-broker")]))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(begin)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        # Clients check the name they dialled: loopback by IP and by name.
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        # Server for clients, client towards the controller and the other brokers (mTLS).
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )


def secure_properties(
    *,
    host: str,
    broker_port: int,
    internal_port: int,
    controller_port: int,
    tls: TlsFiles,
    security: SecurityConfig,
) -> dict[str, str]:
    """What replaces the PLAINTEXT listener settings of ``cluster.server_properties``."""
    mech = security.mechanism
    sasl = CLIENT_LISTENER.lower()
    return {
        "listeners": (
            f"{CLIENT_LISTENER}://{host}:{broker_port},INTERNAL://{host}:{internal_port},"
            f"CONTROLLER://{host}:{controller_port}"
        ),
        "advertised.listeners": (
            f"{CLIENT_LISTENER}://{host}:{broker_port},INTERNAL://{host}:{internal_port}"
        ),
        "listener.security.protocol.map": (
            f"{CLIENT_LISTENER}:SASL_SSL,INTERNAL:SSL,CONTROLLER:SSL"
        ),
        "inter.broker.listener.name": "INTERNAL",
        "sasl.enabled.mechanisms": mech,
        f"listener.name.{sasl}.sasl.enabled.mechanisms": mech,
        f"listener.name.{sasl}.{mech.lower()}.sasl.jaas.config": (
            "org.apache.kafka.common.security.scram.ScramLoginModule required;"
        ),
        **tls.keystore_properties(),
        "ssl.truststore.type": "PEM",
        "ssl.truststore.location": str(tls.ca_cert),
        "ssl.endpoint.identification.algorithm": "https",
        "listener.name.internal.ssl.client.auth": "required",
        "listener.name.controller.ssl.client.auth": "required",
        "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
        "allow.everyone.if.no.acl.found": "false",
        "super.users": f"User:{security.admin.name};User:{BROKER_PRINCIPAL}",
    }


def admin_client_options(security: SecurityConfig, tls: TlsFiles) -> dict[str, Any]:
    """aiokafka options for the admin user (readiness probe, topic creation in tests)."""
    return {
        "security_protocol": "SASL_SSL",
        "sasl_mechanism": security.mechanism,
        "sasl_plain_username": security.admin.name,
        "sasl_plain_password": security.admin.password,
        "ssl_context": ssl_context(tls.ca_cert),
    }
