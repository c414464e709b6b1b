"""Sends HTTP requests from wherever it runs (the tests run it inside a
network namespace) and prints what came back, one JSON object.

Usage: ``python https_probe.py REQUESTS_JSON``, where each request is
``{"url": ..., "headers": {...}, "json": BODY}``: a POST of ``BODY``, or a
GET without one. Certificates are not verified: the tests check the
fingerprint separately, and here look at the answers.

``python https_probe.py --fingerprint HOST PORT`` prints instead the SHA-256
of the certificate presented at HOST:PORT.
"""

from __future__ import annotations

import hashlib
import json
import ssl
import sys

import httpx2


def main() -> None:
    if sys.argv[1] == "--fingerprint":
        pem = ssl.get_server_certificate((sys.argv[2], int(sys.argv[3])))
        print(hashlib.sha256(ssl.PEM_cert_to_DER_cert(pem)).hexdigest())
        return
    answers = []
    for request in json.loads(sys.argv[1]):
        # A client of its own per request: no cookie carries over.
        with httpx2.Client(verify=False, timeout=10, follow_redirects=False) as client:
            headers = request.get("headers", {})
            try:
                if "json" in request:
                    response = client.post(request["url"], json=request["json"], headers=headers)
                else:
                    response = client.get(request["url"], headers=headers)
                answers.append(
                    {
                        "status": response.status_code,
                        "text": response.text,
                        "headers": dict(response.headers),
                    }
                )
            except httpx2.HTTPError as error:
                answers.append({"status": 0, "text": f"{type(error).__name__}: {error}"})
    print(json.dumps(answers))


if __name__ == "__main__":
    main()
