"""Passkeys (WebAuthn) for staff sign-in: the options a browser needs and the checks of its answers.

The cryptography and the parsing of authenticator data are done by ``fido2`` (Yubico). Baken adds
what a library cannot know, and checks it itself so a refusal says why (the audit log keeps the
reason as a code):

- the origin must be exactly one of this site's origins (``RelyingParty.origins``: the configured
  ``BAKEN_PUBLIC_URL``, or the request's own host), never "some subdomain of the RP ID";
- the RP ID hash in the authenticator data must be this site's, so a passkey made for another site
  is worthless here (that, with the origin, is what makes passkeys phishing-resistant);
- the challenge must be one this server handed out: the store deletes it when it is used, so an
  answer cannot be replayed (``store/passkey_repo.py``);
- the signature counter must go up (unless the authenticator keeps none and always says 0): a
  counter that stands still or goes back is how a cloned authenticator shows itself.

Nothing secret is ever stored: a credential's public key, its id, counter and transports.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from enum import Enum
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import constant_time
from fido2 import cbor
from fido2.cose import CoseKey
from fido2.server import Fido2Server
from fido2.utils import sha256, websafe_decode, websafe_encode
from fido2.webauthn import (
    Aaguid,
    AttestationConveyancePreference,
    AttestedCredentialData,
    AuthenticationResponse,
    AuthenticatorTransport,
    CollectedClientData,
    PublicKeyCredentialDescriptor,
    PublicKeyCredentialRpEntity,
    PublicKeyCredentialType,
    PublicKeyCredentialUserEntity,
    RegistrationResponse,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

# fido2 logs every credential id it registers or accepts at INFO. The audit log already records
# who used which passkey; the server log need not tie its lines to one person's device.
logging.getLogger("fido2").setLevel(logging.WARNING)

RP_NAME = "Baken"
# How long the browser may take (the person finds their key, touches it, types a PIN); the
# server keeps each challenge a little longer than that, then it is worthless.
REGISTER_TIMEOUT = timedelta(minutes=5)
SIGN_IN_TIMEOUT = timedelta(minutes=2)
CHALLENGE_GRACE = timedelta(seconds=30)
CHALLENGE_BYTES = 32
# WebAuthn allows credential ids up to 1023 bytes; anything longer is not a real authenticator.
MAX_CREDENTIAL_ID_BYTES = 1023
MAX_NAME_CHARS = 60
TRANSPORTS = frozenset(t.value for t in AuthenticatorTransport)


class PasskeyError(Exception):
    """A refused ceremony. ``reason`` is a stable code for the audit log, never shown as is."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class RelyingParty:
    """This site as WebAuthn sees it: the RP ID (a host name) and the exact origins allowed."""

    id: str
    origins: frozenset[str]

    @classmethod
    def of(cls, public_url: str, host: str | None) -> RelyingParty | None:
        """From ``BAKEN_PUBLIC_URL`` when set (production), else from the request's Host (demo,
        tests). None when neither names a host."""
        if public_url:
            parts = urlsplit(public_url)
            if not parts.hostname:
                return None
            return cls(parts.hostname, frozenset({f"{parts.scheme}://{parts.netloc}"}))
        if not host:
            return None
        try:
            hostname = urlsplit("//" + host).hostname
        except ValueError:
            return None
        if not hostname:
            return None
        origins = {f"https://{host}"}
        # Browsers offer WebAuthn over plain http on localhost only (a secure context there).
        if hostname == "localhost" or hostname.endswith(".localhost"):
            origins.add(f"http://{host}")
        return cls(hostname, frozenset(origins))

    @property
    def id_hash(self) -> bytes:
        return sha256(self.id.encode())

    def server(self, timeout: timedelta) -> Fido2Server:
        server = Fido2Server(
            PublicKeyCredentialRpEntity(name=RP_NAME, id=self.id),
            attestation=AttestationConveyancePreference.NONE,
            verify_origin=lambda origin: origin in self.origins,
        )
        # fido2 declares the attribute as None, yet copies it into the options as the ceremony's
        # timeout in milliseconds, which is what the browser needs.
        server.timeout = int(timeout.total_seconds() * 1000)  # type: ignore[assignment]
        return server


@dataclass(frozen=True, slots=True)
class StoredCredential:
    credential_id: bytes
    public_key: bytes  # the COSE key, CBOR-encoded
    sign_count: int
    transports: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class NewCredential:
    credential_id: bytes
    public_key: bytes
    sign_count: int
    transports: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Assertion:
    credential_id: bytes
    sign_count: int
    user_verified: bool


def new_challenge() -> bytes:
    return secrets.token_bytes(CHALLENGE_BYTES)


def challenge_hash(challenge: bytes) -> str:
    return sha256(b"baken-passkey-challenge:" + challenge).hex()


def user_handle(staff_id: str) -> bytes:
    # The staff id is random and says nothing about the person; authenticators keep it with a
    # discoverable passkey and give it back at sign-in.
    return staff_id.encode()


def clean_name(value: object) -> str:
    """The name a person gave a passkey: one line of printable text, at most 60 characters."""
    if not isinstance(value, str):
        return ""
    text = "".join(ch if ch.isprintable() else " " for ch in value)
    return " ".join(text.split())[:MAX_NAME_CHARS]


def clean_transports(value: object) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(sorted({t for t in value if isinstance(t, str) and t in TRANSPORTS}))


def sign_count_ok(stored: int, new: int) -> bool:
    """WebAuthn §7.2 step 21: a counter that is used must grow; 0 and 0 means none is kept."""
    return new > stored or (stored == 0 and new == 0)


def _descriptor(credential: StoredCredential) -> PublicKeyCredentialDescriptor:
    return PublicKeyCredentialDescriptor(
        type=PublicKeyCredentialType.PUBLIC_KEY,
        id=credential.credential_id,
        transports=[AuthenticatorTransport(t) for t in credential.transports if t in TRANSPORTS]
        or None,
    )


def _json(options: Mapping[str, Any]) -> dict[str, Any]:
    """fido2's options as plain JSON (bytes as base64url), the shape the page's script expects."""
    out: dict[str, Any] = {}
    for key, value in options.items():
        if isinstance(value, Mapping):
            out[key] = _json(value)
        elif isinstance(value, list | tuple):
            out[key] = [_json(v) if isinstance(v, Mapping) else _plain(v) for v in value]
        else:
            out[key] = _plain(value)
    return out


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


def creation_options(
    rp: RelyingParty,
    staff_id: str,
    username: str,
    display_name: str,
    existing: Sequence[StoredCredential],
    challenge: bytes,
) -> dict[str, Any]:
    options, _state = rp.server(REGISTER_TIMEOUT).register_begin(
        PublicKeyCredentialUserEntity(
            id=user_handle(staff_id), name=username, display_name=display_name
        ),
        # The same authenticator twice would only be a second name for one key.
        credentials=[_descriptor(c) for c in existing],
        resident_key_requirement=ResidentKeyRequirement.PREFERRED,
        user_verification=UserVerificationRequirement.PREFERRED,
        challenge=challenge,
    )
    return _json(dict(options))


def request_options(
    rp: RelyingParty, credentials: Sequence[StoredCredential], challenge: bytes
) -> dict[str, Any]:
    options, _state = rp.server(SIGN_IN_TIMEOUT).authenticate_begin(
        credentials=[_descriptor(c) for c in credentials],
        user_verification=UserVerificationRequirement.PREFERRED,
        challenge=challenge,
    )
    return _json(dict(options))


def _client_data(response: Mapping[str, Any]) -> CollectedClientData:
    try:
        inner = response["response"]
        return CollectedClientData(websafe_decode(inner["clientDataJSON"]))
    except Exception as exc:  # hostile input can fail in many ways; each is a refusal
        raise PasskeyError("malformed") from exc


def challenge_of(response: object) -> bytes:
    """The challenge the browser says it signed; the caller must find it among those it issued
    (and use it up) before anything else is believed."""
    if not isinstance(response, Mapping):
        raise PasskeyError("malformed")
    challenge = _client_data(response).challenge
    if not isinstance(challenge, bytes) or len(challenge) != CHALLENGE_BYTES:
        raise PasskeyError("malformed")
    return challenge


def _check_client_data(
    rp: RelyingParty, client_data: CollectedClientData, kind: str, challenge: bytes
) -> None:
    if client_data.type != kind:
        raise PasskeyError("type")
    if client_data.origin not in rp.origins:
        raise PasskeyError("origin")
    if not constant_time.bytes_eq(client_data.challenge, challenge):
        raise PasskeyError("challenge")


def _state(challenge: bytes) -> dict[str, Any]:
    # The library's own state object, rebuilt from the challenge the store handed back: the state
    # lives in the database, never in anything the browser could send again.
    return {
        "challenge": websafe_encode(challenge),
        "user_verification": UserVerificationRequirement.PREFERRED,
    }


def verify_registration(
    rp: RelyingParty, challenge: bytes, response: Mapping[str, Any]
) -> NewCredential:
    client_data = _client_data(response)
    _check_client_data(rp, client_data, CollectedClientData.TYPE.CREATE, challenge)
    try:
        parsed = RegistrationResponse.from_dict(response)
        auth_data = parsed.response.attestation_object.auth_data
    except Exception as exc:
        raise PasskeyError("malformed") from exc
    if not constant_time.bytes_eq(auth_data.rp_id_hash, rp.id_hash):
        raise PasskeyError("rp_id")
    try:
        verified = rp.server(REGISTER_TIMEOUT).register_complete(_state(challenge), parsed)
    except Exception as exc:
        raise PasskeyError("invalid") from exc
    credential = verified.credential_data
    if credential is None or not 16 <= len(credential.credential_id) <= MAX_CREDENTIAL_ID_BYTES:
        raise PasskeyError("invalid")
    inner = response.get("response")
    transports = clean_transports(inner.get("transports") if isinstance(inner, Mapping) else None)
    return NewCredential(
        credential_id=bytes(credential.credential_id),
        public_key=cbor.encode(dict(credential.public_key)),
        sign_count=int(verified.counter),
        transports=transports,
    )


def verify_assertion(
    rp: RelyingParty,
    challenge: bytes,
    staff_id: str,
    credentials: Sequence[StoredCredential],
    response: Mapping[str, Any],
) -> Assertion:
    """Checks an answer to ``request_options`` against this member's own credentials only."""
    client_data = _client_data(response)
    _check_client_data(rp, client_data, CollectedClientData.TYPE.GET, challenge)
    try:
        parsed = AuthenticationResponse.from_dict(response)
        auth_data = parsed.response.authenticator_data
    except Exception as exc:
        raise PasskeyError("malformed") from exc
    if not constant_time.bytes_eq(auth_data.rp_id_hash, rp.id_hash):
        raise PasskeyError("rp_id")
    found = next((c for c in credentials if c.credential_id == parsed.raw_id), None)
    if found is None:
        raise PasskeyError("unknown_credential")
    handle = parsed.response.user_handle
    if handle is not None and not constant_time.bytes_eq(handle, user_handle(staff_id)):
        raise PasskeyError("user")
    try:
        decoded = cbor.decode(found.public_key)
        if not isinstance(decoded, Mapping):
            raise TypeError("a stored public key is not a COSE map")
        public_key = CoseKey.parse(decoded)
        attested = AttestedCredentialData.create(Aaguid.NONE, found.credential_id, public_key)
        rp.server(SIGN_IN_TIMEOUT).authenticate_complete(_state(challenge), [attested], parsed)
    except Exception as exc:
        raise PasskeyError("signature") from exc
    if not sign_count_ok(found.sign_count, int(auth_data.counter)):
        raise PasskeyError("sign_count")
    return Assertion(
        credential_id=found.credential_id,
        sign_count=int(auth_data.counter),
        user_verified=auth_data.is_user_verified(),
    )
