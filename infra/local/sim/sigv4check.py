"""SigV4 verification of an incoming request with botocore's SigV4Auth.

The signature is recomputed from the request exactly as received (method,
path and query, the signed headers, the body) with the secret that belongs to
the access key id, and compared with the one the client sent.
"""

import hashlib
import hmac
import re

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

_AUTH_RE = re.compile(
    r"AWS4-HMAC-SHA256\s+Credential=(?P<cred>[^,\s]+)\s*,\s*"
    r"SignedHeaders=(?P<signed>[^,\s]+)\s*,\s*Signature=(?P<sig>[0-9a-fA-F]+)")

SIGNATURE_MESSAGE = ("The request signature we calculated does not match the signature you "
                     "provided. Check your AWS Secret Access Key and signing method. Consult "
                     "the service documentation for details.")


def parse_scope(authorization):
    """(access_key, date, region, service) from an Authorization header, or None."""
    if not authorization:
        return None
    m = _AUTH_RE.search(authorization)
    if not m:
        return None
    parts = m.group("cred").split("/")
    if len(parts) != 5 or parts[4] != "aws4_request":
        return None
    return parts[0], parts[1], parts[2], parts[3]


def verify(method, path, headers, body, secrets, scheme="http"):
    """Check a request. `headers` is a list of (name, value) as received.

    Returns None when the signature is valid, else (http_status, code, message).
    """
    hdrs = {}
    for k, v in headers:
        hdrs.setdefault(k.lower(), []).append(v)
    authorization = (hdrs.get("authorization") or [""])[0]
    if not authorization:
        return 403, "MissingAuthenticationToken", "Request is missing Authentication Token"
    m = _AUTH_RE.search(authorization)
    scope = parse_scope(authorization)
    if not m or not scope:
        return 400, "IncompleteSignature", "Authorization header requires Credential, SignedHeaders and Signature."
    access_key, _date, region, service = scope
    secret = secrets.get(access_key)
    if secret is None:
        return 403, "InvalidClientTokenId", "The security token included in the request is invalid."
    declared = (hdrs.get("x-amz-content-sha256") or [None])[0]
    if declared and declared != "UNSIGNED-PAYLOAD" and \
            declared.lower() != hashlib.sha256(body or b"").hexdigest():
        return 400, "XAmzContentSHA256Mismatch", \
            "The provided 'x-amz-content-sha256' header does not match what was computed."
    signed = m.group("signed").split(";")
    amz_date = (hdrs.get("x-amz-date") or [None])[0]
    if not amz_date:
        return 400, "IncompleteSignature", "Date must be in ISO-8601 'basic format'. Got none."
    req_headers = {}
    for name in signed:
        if name in hdrs:
            # duplicate headers are joined the way SigV4 canonicalises them
            req_headers[name] = ",".join(v.strip() for v in hdrs[name])
    host = (hdrs.get("host") or ["localhost"])[0]
    request = AWSRequest(method=method, url="%s://%s%s" % (scheme, host, path),
                         data=body, headers=req_headers)
    request.context["timestamp"] = amz_date
    token = (hdrs.get("x-amz-security-token") or [None])[0]
    auth = SigV4Auth(Credentials(access_key, secret, token), service, region)
    canonical = auth.canonical_request(request)
    expected = auth.signature(auth.string_to_sign(request, canonical), request)
    if not hmac.compare_digest(expected, m.group("sig").lower()):
        return 403, "SignatureDoesNotMatch", SIGNATURE_MESSAGE
    return None
