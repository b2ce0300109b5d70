#!/usr/bin/env python3
"""Independent check of the relay's Standard Webhooks signatures.

Usage: verify_signatures.py CAPTURE.jsonl SECRET [SECRET ...]

CAPTURE.jsonl holds one captured delivery per line: {"headers": {...}, "body_b64": "..."} as a test receiver saw
it. Every delivery must verify with the `standardwebhooks` package (PyPI) under EACH given secret on its own, so
passing the current and the previous secret checks both signatures of a rotation. Timestamps are checked with the
library's tolerance (5 minutes), so run it right after the capture. Prints one line per failure and a summary line
`signatures: N passed, M failed`; exits 1 on any failure.
"""
import base64
import json
import sys

from standardwebhooks import Webhook


def main() -> int:
    if len(sys.argv) < 3 or sys.argv[1] in ("-h", "--help"):
        print(__doc__)
        return 2
    capture, secrets = sys.argv[1], sys.argv[2:]
    passed = failed = 0
    with open(capture, encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            item = json.loads(line)
            headers = {k.lower(): v for k, v in item["headers"].items()}
            body = base64.b64decode(item["body_b64"])
            for index, secret in enumerate(secrets):
                try:
                    Webhook(secret).verify(body, headers)
                    passed += 1
                except Exception as error:  # noqa: BLE001 - report every kind of failure
                    failed += 1
                    print(f"line {number} secret #{index}: {type(error).__name__}: {error} "
                          f"(webhook-id {headers.get('webhook-id')})")
    print(f"signatures: {passed} passed, {failed} failed")
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
