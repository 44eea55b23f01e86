"""Verify a Tessera access token with PyJWT, knowing only the JWKS URL.

    python3 examples/verify-python/verify.py http://localhost:5000/.well-known/jwks.json "$ACCESS" [ISSUER]

ISSUER is the tokens' `iss`: Tessera's APP_URL unless it sets JWT_ISSUER, so by default the
origin of the JWKS URL. Prints the verified claims as JSON, or exits 1 with the reason.
"""
import json
import sys

import jwt

jwks_url, token = sys.argv[1], sys.argv[2]
issuer = sys.argv[3] if len(sys.argv) > 3 else jwks_url.split("/.well-known/")[0]
try:
    signing_key = jwt.PyJWKClient(jwks_url).get_signing_key_from_jwt(token)
    claims = jwt.decode(
        token,
        signing_key.key,
        # Asymmetric algorithms only: PyJWT also checks that the key's type fits the algorithm.
        algorithms=["ES256", "EdDSA", "RS256", "PS256"],
        audience="tessera-api",
        issuer=issuer,
    )
except Exception as error:  # noqa: BLE001 - report any failure as "not verified"
    print(f"not verified: {error}", file=sys.stderr)
    sys.exit(1)
print(json.dumps(claims))
