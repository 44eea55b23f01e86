"""Verify a Tessera access token with PyJWT, knowing only the JWKS URL.

    python3 examples/verify-python/verify.py http://localhost:5000/.well-known/jwks.json "$ACCESS"

Prints the verified claims as JSON, or exits 1 with the reason.
"""
import json
import sys

import jwt

jwks_url, token = sys.argv[1], sys.argv[2]
try:
    signing_key = jwt.PyJWKClient(jwks_url).get_signing_key_from_jwt(token)
    claims = jwt.decode(
        token,
        signing_key.key,
        # Asymmetric algorithms only: PyJWT also checks that the key's type fits the algorithm.
        algorithms=["ES256", "EdDSA", "RS256", "PS256"],
        audience="tessera-api",
        issuer="tessera",
    )
except Exception as error:  # noqa: BLE001 - report any failure as "not verified"
    print(f"not verified: {error}", file=sys.stderr)
    sys.exit(1)
print(json.dumps(claims))
