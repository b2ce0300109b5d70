#!/usr/bin/env python3
"""Mutated OMS bodies judged by Python jsonschema: the reference side of the relay's differential test.

usage: oms_schema_differential.py OUT.jsonl COUNT SEED

Starts from every example in Schemas/examples/{return-ack,invoice-notification,order-posting}/, applies one to three
random mutations (seeded RNG: the same SEED gives the same bodies) — drop, add or retype a field anywhere, empty or
grow a list, change a string or number near its limits, swap enum values — and writes one JSON line per body:
{"route": "return-acks", "body": "<JSON text>", "valid": true|false}, valid as judged by the route's schema under its
declared draft (2020-12) with format checking. Prints the counts. Exits non-zero on any problem.
"""
import copy
import json
import pathlib
import random
import sys

import jsonschema

ROOT = pathlib.Path(__file__).resolve().parent.parent
KINDS = [("return-acks", "return-ack"), ("invoices", "invoice-notification"), ("order-postings", "order-posting")]

# Values a mutation puts in place of another: every JSON type, empty and boundary values, near-miss enum values,
# numbers around the schemas' bounds (epoch seconds vs milliseconds), integral floats, strings with trailing newlines.
REPLACEMENTS = [
    None, True, False, 0, -1, 1, 2, 1.0, 1.5, -0.5, 10.25, 999999999, 1000000000, 1710000000, 9999999999,
    10000000000, 1710000000000, 1e3, "", " ", "x", "PASS", "FAIL", "pass", "COD", "NCOD", "PREPAID",
    "INVOICE_GENERATED", "INVOICE", "CREDIT_NOTE", "RECEIPT", "OUTWARD_ORDER_CREATE", "OUTWARD_ORDER_bogus",
    "OUTWARD_ORDER_", "OUTWARD_ORDER_CANCEL\n", "ORDER_CREATE", "CLOSED", "DISPATCHED", "é", "2024-03-01T10:00:00Z",
    "attribute1", "https://img.example/1.jpg", [], [1], ["a"], [None], {}, {"a": 1}, {"name": "x"},
]
NEW_KEYS = ["surprise", "extra", "attribute11", "attributeX", "channelMetadata", "qcReason", "imageUrls",
            "hasError", "notificationType", "barcode", "shipmentItems", ""]


def paths(value, prefix=()):
    """Every location in a document: (path tuple, value)."""
    yield prefix, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from paths(item, prefix + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from paths(item, prefix + (index,))


def get(document, path):
    for step in path:
        document = document[step]
    return document


def mutate(document, rng):
    """One random mutation in place; returns the (possibly new) document."""
    locations = list(paths(document))
    path, value = rng.choice(locations)
    choice = rng.random()
    if not path:
        if choice < 0.03:
            return rng.choice([[], "text", 1, None, [document]])
        path, value = rng.choice(locations[1:] or locations)
        if not path:
            return document
    parent = get(document, path[:-1])
    key = path[-1]
    if choice < 0.25:  # drop the field or element
        del parent[key]
    elif choice < 0.40:  # add a field next to it, or an element
        if isinstance(parent, dict):
            parent[rng.choice(NEW_KEYS)] = copy.deepcopy(rng.choice(REPLACEMENTS))
        else:
            parent.append(copy.deepcopy(rng.choice([value, rng.choice(REPLACEMENTS)])))
    elif choice < 0.70:  # replace it with a value of any type
        parent[key] = copy.deepcopy(rng.choice(REPLACEMENTS))
    elif choice < 0.80 and isinstance(value, str):  # edit a string
        parent[key] = rng.choice([value.lower(), value + "\n", value[:-1], value + "Z", "", value.upper()])
    elif choice < 0.90 and isinstance(value, (int, float)) and not isinstance(value, bool):  # move a number
        parent[key] = rng.choice([value * 1000, -value, value + 0.5, float(value), value - 1, 0])
    elif isinstance(value, dict) and value:  # retype a member of an object
        member = rng.choice(list(value))
        value[member] = copy.deepcopy(rng.choice(REPLACEMENTS))
    elif isinstance(value, list):
        if value and rng.random() < 0.5:
            value.clear()
        else:
            value.append(copy.deepcopy(value[0]) if value else {})
    else:
        parent[key] = copy.deepcopy(rng.choice(REPLACEMENTS))
    return document


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    out, count, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    rng = random.Random(seed)
    kinds = []
    for route, name in KINDS:
        schema = json.loads((ROOT / "Schemas" / f"{name}.schema.json").read_text())
        validator_class = jsonschema.validators.validator_for(schema)
        validator_class.check_schema(schema)
        validator = validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)
        examples = [json.loads(path.read_text())
                    for path in sorted((ROOT / "Schemas" / "examples" / name).glob("*.json"))]
        if not examples:
            sys.exit(f"no examples for {name}")
        kinds.append((route, validator, examples))
    counts = {}
    with open(out, "w") as handle:
        for index in range(count):
            route, validator, examples = kinds[index % len(kinds)]
            body = copy.deepcopy(rng.choice(examples))
            # About one body in eight is an example as it is (valid examples stay valid); the rest are mutated.
            if rng.random() >= 0.125:
                for _ in range(rng.choice([1, 1, 1, 2, 3])):
                    body = mutate(body, rng)
            valid = validator.is_valid(body)
            text = json.dumps(body, ensure_ascii=rng.random() < 0.5, allow_nan=False)
            handle.write(json.dumps({"route": route, "body": text, "valid": valid}) + "\n")
            counts[(route, valid)] = counts.get((route, valid), 0) + 1
    for (route, valid), number in sorted(counts.items()):
        print(f"{route} {'valid' if valid else 'invalid'} {number}")


if __name__ == "__main__":
    main()
