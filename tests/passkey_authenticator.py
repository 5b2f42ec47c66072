"""A software authenticator for the passkey tests: it answers WebAuthn options the way a browser
with a real authenticator would (an EC P-256 key, "none" attestation, a signature counter), and
can be told to lie: another origin, another RP ID, a counter that goes back.

The answers are the JSON the page's script (web/static/passkeys.js) sends, so the server checks
them exactly as it checks a real browser's.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from fido2.cose import ES256
from fido2.utils import sha256, websafe_decode, websafe_encode
from fido2.webauthn import (
    Aaguid,
    AttestationObject,
    AttestedCredentialData,
    AuthenticatorData,
    CollectedClientData,
)

FLAGS = AuthenticatorData.FLAG


@dataclass
class SoftAuthenticator:
    rp_id: str
    origin: str
    key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    credential_id: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    counter: int = 0
    user_handle: bytes | None = None

    def register(
        self, options: dict[str, Any], *, origin: str | None = None, rp_id: str | None = None
    ) -> dict[str, Any]:
        """The answer to creation options: a new credential for this key."""
        public = options["publicKey"]
        self.user_handle = websafe_decode(public["user"]["id"])
        client_data = CollectedClientData.create(
            "webauthn.create", websafe_decode(public["challenge"]), origin or self.origin
        )
        # fido2 leaves this classmethod unannotated; it returns the COSE form of the key.
        cose = ES256.from_cryptography_key(self.key.public_key())  # type: ignore[no-untyped-call]
        credential = AttestedCredentialData.create(Aaguid.NONE, self.credential_id, cose)
        auth_data = AuthenticatorData.create(
            sha256((rp_id or self.rp_id).encode()),
            FLAGS.UP | FLAGS.UV | FLAGS.AT,
            self.counter,
            credential,
        )
        attestation = AttestationObject.create("none", auth_data, {})
        return {
            "id": websafe_encode(self.credential_id),
            "rawId": websafe_encode(self.credential_id),
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
            "response": {
                "clientDataJSON": websafe_encode(client_data),
                "attestationObject": websafe_encode(attestation),
                "transports": ["internal", "not-a-transport"],
            },
        }

    def sign(
        self,
        options: dict[str, Any],
        *,
        origin: str | None = None,
        rp_id: str | None = None,
        counter: int | None = None,
        kind: str = "webauthn.get",
    ) -> dict[str, Any]:
        """The answer to request options, signed with this key. The counter goes up by one
        unless one is given."""
        public = options["publicKey"]
        self.counter = self.counter + 1 if counter is None else counter
        client_data = CollectedClientData.create(
            kind, websafe_decode(public["challenge"]), origin or self.origin
        )
        auth_data = AuthenticatorData.create(
            sha256((rp_id or self.rp_id).encode()), FLAGS.UP | FLAGS.UV, self.counter
        )
        signature = self.key.sign(auth_data + client_data.hash, ec.ECDSA(hashes.SHA256()))
        return {
            "id": websafe_encode(self.credential_id),
            "rawId": websafe_encode(self.credential_id),
            "type": "public-key",
            "clientExtensionResults": {},
            "response": {
                "clientDataJSON": websafe_encode(client_data),
                "authenticatorData": websafe_encode(auth_data),
                "signature": websafe_encode(signature),
                "userHandle": websafe_encode(self.user_handle) if self.user_handle else None,
            },
        }
