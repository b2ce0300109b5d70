#!/usr/bin/env python3
"""Validate the relay's JSON Schemas, and the fixtures, examples and config that must conform to them.

Checks, in order:

  (d) every Schemas/**/*.schema.json is a valid draft 2020-12 schema (Draft202012Validator.check_schema),
      has $schema 2020-12, the $id https://relay.example/schemas/<path>, a description, and only $refs
      that resolve locally;
  (a) every <fixtures>/<aggregator>/*.expected.json against notification-list.schema.json;
  (b) every other <fixtures>/<aggregator>/*.json (an inbound callback) against inbound/<aggregator>.schema.json;
  (c) the example config (Deploy/config.example.yaml) against config.schema.json, if it exists;
  (e) every Schemas/examples/<schema-name>/*.{json,yaml,yml} against Schemas/<schema-name>.schema.json.
      Files named *.invalid.* are counterexamples: they pass when the schema REJECTS them;
  (f) Schemas/openapi.yaml (the relay's HTTP API, OpenAPI 3.1), if it exists: every $ref in it resolves locally
      (JSON pointers into the document, relative refs into the schema files above), and, when the optional package
      openapi-spec-validator is importable, the document passes openapi_spec_validator.validate (skipped with a
      note otherwise).

$refs between schema files are resolved from the local files only; nothing is fetched from the network.
Prints one line per failure (file and JSON path) and ends with exactly one summary line
`schemas: N passed, M failed`. Exit status 1 if anything failed, else 0.

Needs Python 3.11+, jsonschema (>= 4.18), referencing and PyYAML; openapi-spec-validator (>= 0.7) is optional.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import unquote, urldefrag, urljoin

try:
    import yaml
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError, ValidationError, best_match
    from referencing import Registry, Resource
    from referencing.exceptions import NoSuchResource, Unresolvable
    from referencing.jsonschema import DRAFT202012
except ImportError as error:  # pragma: no cover - environment problem
    sys.exit(f"validate_schemas: missing dependency ({error}); needs jsonschema, referencing and PyYAML")

ROOT = Path(__file__).resolve().parent.parent
ID_BASE = "https://relay.example/schemas/"
DIALECT = "https://json-schema.org/draft/2020-12/schema"
AGGREGATORS = ("clickpost", "shiprocket", "shipway", "eshipz")
SCHEMA_SUFFIX = ".schema.json"
EXAMPLE_SUFFIXES = (".json", ".yaml", ".yml")
# Schemas for which Schemas/examples/<name>/ must hold at least one valid example.
REQUIRED_EXAMPLES = ("notification", "invoice-notification", "return-ack", "order-posting")
# Keywords whose values are data, not subschemas: never look for $ref inside them.
DATA_KEYWORDS = {"const", "enum", "examples", "default"}
MAX_MESSAGE = 240
OPENAPI_FILE = "openapi.yaml"
# OpenAPI keys whose values are data (examples, defaults, enumerations): never look for $ref inside them.
OPENAPI_DATA_KEYWORDS = {"example", "value", "const", "enum", "default"}
# OpenAPI and JSON Schema keys whose values map names (chosen by the author) to objects.
OPENAPI_NAME_MAPS = {
    "properties", "patternProperties", "$defs", "dependentSchemas", "paths", "webhooks", "schemas", "responses",
    "parameters", "examples", "requestBodies", "headers", "securitySchemes", "links", "callbacks", "pathItems",
    "content", "encoding", "variables", "mapping",
}


@dataclass
class Report:
    """Counts checks and prints failures; one check = one schema file or one instance file."""

    verbose: bool = False
    max_errors: int = 10
    passed: int = 0
    failed: int = 0
    notes: list[str] = field(default_factory=list)

    def ok(self, what: str) -> None:
        self.passed += 1
        if self.verbose:
            print(f"ok    {what}")

    def fail(self, what: str, problems: list[str]) -> None:
        self.failed += 1
        shown = problems[: self.max_errors]
        for problem in shown:
            print(f"FAIL  {what}: {problem}")
        if len(problems) > len(shown):
            print(f"FAIL  {what}: … and {len(problems) - len(shown)} more error(s)")

    def note(self, text: str) -> None:
        print(f"note: {text}")

    def summary(self) -> str:
        return f"schemas: {self.passed} passed, {self.failed} failed"


def display(path: Path) -> str:
    """A path relative to the working directory when possible (shorter, clickable)."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def shorten(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"


def load_instance(path: Path) -> Any:
    """Load a JSON or YAML file; raises ValueError with a readable message."""
    text = path.read_text(encoding="utf-8")
    if path.suffix in (".yaml", ".yml"):
        try:
            return yaml.safe_load(text)
        except yaml.YAMLError as error:
            raise ValueError(f"invalid YAML: {shorten(str(error))}") from error
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"invalid JSON: {error.msg} (line {error.lineno}, column {error.colno})") from error


def refuse_retrieval(uri: str) -> Resource:
    """Registry retrieval hook: never go to the network; an unknown $ref is an error."""
    raise NoSuchResource(ref=uri)


def iter_refs(node: Any, base: str, pointer: str = "#") -> Iterator[tuple[str, str, str]]:
    """Yield (base URI, $ref value, JSON pointer of the referring object) for every $ref in a schema."""
    if isinstance(node, dict):
        if isinstance(node.get("$id"), str):
            base = urljoin(base, node["$id"])
        if isinstance(node.get("$ref"), str):
            yield base, node["$ref"], pointer
        for key, value in node.items():
            if key in DATA_KEYWORDS:
                continue
            # "properties"/"$defs"/… map names to subschemas: the names themselves are not keywords.
            yield from iter_refs(value, base, f"{pointer}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from iter_refs(value, base, f"{pointer}/{index}")


def branch_label(error: ValidationError, index: Any) -> str:
    """A readable name for branch `index` of an anyOf/oneOf: its title, else its $ref's last segment."""
    try:
        branch = error.schema[error.validator][index]
    except (KeyError, IndexError, TypeError):
        return f"#{index}"
    if isinstance(branch, dict):
        if isinstance(branch.get("title"), str):
            return branch["title"]
        if isinstance(branch.get("$ref"), str):
            return branch["$ref"].rsplit("/", 1)[-1]
        if isinstance(branch.get("type"), str):
            return branch["type"]
    return f"#{index}"


def is_shape_mismatch(error: ValidationError, parent: ValidationError) -> bool:
    """True for an error saying 'this branch is for another kind of value' (the null branch, a discriminator)."""
    return error.absolute_path == parent.absolute_path and error.validator in ("type", "const", "enum", "not")


def describe(error: ValidationError, depth: int = 0) -> str:
    """One line for a validation error. For a failed anyOf/oneOf, the main errors of each plausible branch."""
    if error.validator not in ("anyOf", "oneOf") or not error.context or depth >= 3:
        return f"{error.json_path}: {shorten(error.message)}"
    branches: dict[Any, list[ValidationError]] = {}
    for sub in error.context:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    plausible = {k: v for k, v in branches.items() if not any(is_shape_mismatch(e, error) for e in v)}
    branches = plausible or branches
    parts = []
    for index, errors in sorted(branches.items(), key=lambda item: str(item[0])):
        errors.sort(key=lambda e: (len(e.absolute_path), e.validator in ("anyOf", "oneOf")))
        details = "; ".join(describe(sub, depth + 1) for sub in errors[:2])
        more = f" (+{len(errors) - 2} more)" if len(errors) > 2 else ""
        parts.append((branch_label(error, index), details + more))
    if len(parts) == 1:
        return parts[0][1]
    listed = " | ".join(f"[{label}] {details}" for label, details in parts)
    return f"{error.json_path}: matches no branch of {error.validator}: {listed}"


class Schemas:
    """The schema files under one directory, loaded, checked and registered for local $ref resolution."""

    def __init__(self, directory: Path, report: Report) -> None:
        self.directory = directory
        self.report = report
        self.documents: dict[str, tuple[Path, dict[str, Any]]] = {}
        self.validators: dict[str, Draft202012Validator] = {}
        self.registry: Registry = Registry(retrieve=refuse_retrieval)

    def name_of(self, path: Path) -> str:
        """'inbound/clickpost' for Schemas/inbound/clickpost.schema.json."""
        relative = path.relative_to(self.directory).as_posix()
        return relative[: -len(SCHEMA_SUFFIX)]

    def load(self) -> None:
        examples = self.directory / "examples"
        files = sorted(p for p in self.directory.rglob(f"*{SCHEMA_SUFFIX}") if examples not in p.parents)
        if not files:
            self.report.fail(display(self.directory), [f"no *{SCHEMA_SUFFIX} files found"])
            return
        problems_by_name: dict[str, list[str]] = {}
        resources = []
        for path in files:
            name = self.name_of(path)
            problems: list[str] = []
            problems_by_name[name] = problems
            try:
                schema = load_instance(path)
            except (OSError, ValueError) as error:
                problems.append(f"$: {error}")
                continue
            if not isinstance(schema, dict):
                problems.append("$: a schema file must hold a JSON object")
                continue
            expected_id = ID_BASE + path.relative_to(self.directory).as_posix()
            if schema.get("$schema") != DIALECT:
                problems.append(f"$.$schema: must be {DIALECT!r}, is {schema.get('$schema')!r}")
            if schema.get("$id") != expected_id:
                problems.append(f"$.$id: must be {expected_id!r}, is {schema.get('$id')!r}")
            if not isinstance(schema.get("description"), str) or not schema["description"].strip():
                problems.append("$.description: missing or empty")
            try:
                Draft202012Validator.check_schema(schema)
            except SchemaError as error:
                problems.append(f"{error.json_path}: not a valid 2020-12 schema: {shorten(error.message)}")
                continue
            self.documents[name] = (path, schema)
            resources.append((schema.get("$id") or expected_id, Resource.from_contents(schema, DRAFT202012)))
        self.registry = self.registry.with_resources(resources).crawl()
        for name, (path, schema) in self.documents.items():
            base = schema.get("$id") or ID_BASE + path.relative_to(self.directory).as_posix()
            for ref_base, ref, pointer in iter_refs(schema, base):
                try:
                    self.registry.resolver(base_uri=ref_base).lookup(ref)
                except Unresolvable as error:
                    problems_by_name[name].append(f"{pointer}: $ref {ref!r} does not resolve locally ({type(error).__name__})")
            self.validators[name] = Draft202012Validator(schema, registry=self.registry)
        for path in files:
            name = self.name_of(path)
            if problems_by_name[name]:
                self.report.fail(display(path), problems_by_name[name])
                self.validators.pop(name, None)
            else:
                self.report.ok(display(path))

    def check(self, path: Path, name: str, expect_valid: bool = True, label: str = "") -> None:
        """Validate one instance file against the schema called `name`."""
        what = display(path) + (f" [{label}]" if label else "")
        validator = self.validators.get(name)
        if validator is None:
            self.report.fail(what, [f"$: schema {name}{SCHEMA_SUFFIX} is missing or broken"])
            return
        try:
            instance = load_instance(path)
        except (OSError, ValueError) as error:
            self.report.fail(what, [f"$: {error}"])
            return
        errors = sorted(validator.iter_errors(instance), key=lambda e: (list(map(str, e.absolute_path)), e.message))
        if expect_valid and errors:
            self.report.fail(what, [f"{describe(e)}  [schema {name}]" for e in errors])
        elif not expect_valid and not errors:
            self.report.fail(what, [f"$: counterexample is accepted by {name}{SCHEMA_SUFFIX} but must be rejected"])
        else:
            self.report.ok(what)


def check_fixtures(schemas: Schemas, fixtures: Path, report: Report) -> None:
    """(a) *.expected.json against the notification list, (b) inbound callbacks against their aggregator."""
    if not fixtures.is_dir():
        report.note(f"fixtures directory {display(fixtures)} does not exist: (a) and (b) checked nothing")
        return
    expected_count = 0
    inbound_count = 0
    for entry in sorted(fixtures.iterdir()):
        if not entry.is_dir():
            continue
        if entry.name not in AGGREGATORS:
            report.note(f"skipped {display(entry)}/ (not an aggregator: {', '.join(AGGREGATORS)})")
            continue
        for path in sorted(entry.glob("*.json")):
            if path.name.endswith(".expected.json"):
                expected_count += 1
                schemas.check(path, "notification-list", label="expected notifications")
            else:
                inbound_count += 1
                schemas.check(path, f"inbound/{entry.name}", label=f"{entry.name} callback")
    if expected_count == 0:
        report.note(f"no <aggregator>/*.expected.json files under {display(fixtures)}: (a) checked nothing")
    if inbound_count == 0:
        report.note(f"no <aggregator>/*.json callback fixtures under {display(fixtures)}: (b) checked nothing")


def check_config(schemas: Schemas, config: Path, report: Report) -> None:
    """(c) the deployable example config."""
    if not config.is_file():
        report.note(f"{display(config)} does not exist: (c) checked nothing")
        return
    schemas.check(config, "config", label="config")


def check_examples(schemas: Schemas, report: Report) -> None:
    """(e) Schemas/examples/<schema-name>/*: valid examples, and *.invalid.* counterexamples."""
    examples = schemas.directory / "examples"
    valid_counts: dict[str, int] = {}
    if examples.is_dir():
        for path in sorted(examples.rglob("*")):
            if not path.is_file() or path.suffix not in EXAMPLE_SUFFIXES:
                continue
            name = path.parent.relative_to(examples).as_posix()
            if not (schemas.directory / f"{name}{SCHEMA_SUFFIX}").is_file():
                report.fail(display(path), [f"$: no schema {name}{SCHEMA_SUFFIX} for examples/{name}/"])
                continue
            counterexample = ".invalid." in path.name
            if not counterexample:
                valid_counts[name] = valid_counts.get(name, 0) + 1
            schemas.check(path, name, expect_valid=not counterexample,
                          label="counterexample" if counterexample else "example")
    for name in REQUIRED_EXAMPLES:
        if valid_counts.get(name, 0) == 0:
            report.fail(display(examples / name), [f"$: needs at least one valid example of {name}{SCHEMA_SUFFIX}"])


def iter_openapi_refs(node: Any, pointer: str = "#", names: bool = False) -> Iterator[tuple[str, str]]:
    """Yield ($ref value, JSON pointer of the referring object) for every $ref in an OpenAPI document.

    `names` is true when `node` maps names to objects (properties, components, paths, …): its keys are then names,
    never the data keywords whose values are skipped."""
    if isinstance(node, dict):
        if not names and isinstance(node.get("$ref"), str):
            yield node["$ref"], pointer
        for key, value in node.items():
            if not names and (key in OPENAPI_DATA_KEYWORDS or (key == "examples" and isinstance(value, list))):
                continue  # data; a JSON Schema `examples` list is data too, an OpenAPI `examples` map is not
            yield from iter_openapi_refs(value, f"{pointer}/{str(key).replace('~', '~0').replace('/', '~1')}",
                                         names=not names and key in OPENAPI_NAME_MAPS)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from iter_openapi_refs(value, f"{pointer}/{index}")


def resolve_pointer(document: Any, fragment: str) -> bool:
    """Whether the JSON pointer `fragment` (URI fragment, without '#') names a value in `document`."""
    if fragment == "":
        return True
    if not fragment.startswith("/"):
        return False  # a plain-name anchor: OpenAPI documents here do not define any
    node = document
    for token in unquote(fragment).split("/")[1:]:
        token = token.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return False
    return True


def check_openapi(schemas: Schemas, report: Report) -> None:
    """(f) Schemas/openapi.yaml: local $refs resolve; openapi_spec_validator.validate passes when installed."""
    path = schemas.directory / OPENAPI_FILE
    what = display(path) + " [openapi]"
    if not path.is_file():
        report.note(f"{display(path)} does not exist: (f) checked nothing")
        return
    try:
        document = load_instance(path)
    except (OSError, ValueError) as error:
        report.fail(what, [f"$: {error}"])
        return
    if not isinstance(document, dict) or not str(document.get("openapi", "")).startswith("3.1"):
        report.fail(what, ["$.openapi: must be an OpenAPI 3.1.x document"])
        return
    problems: list[str] = []
    base = ID_BASE + OPENAPI_FILE  # relative refs resolve against the schema files' $id base, i.e. locally
    for ref, pointer in iter_openapi_refs(document):
        target, fragment = urldefrag(ref)
        if target == "":
            if not resolve_pointer(document, fragment):
                problems.append(f"{pointer}: $ref {ref!r} points to nothing in {OPENAPI_FILE}")
            continue
        if "://" in target or target.startswith("/"):
            problems.append(f"{pointer}: $ref {ref!r} must be relative to Schemas/ (nothing is fetched)")
            continue
        name = (path.parent / target).resolve()
        try:
            relative = name.relative_to(schemas.directory)
        except ValueError:
            problems.append(f"{pointer}: $ref {ref!r} leaves {display(schemas.directory)}")
            continue
        if not relative.as_posix().endswith(SCHEMA_SUFFIX) or relative.as_posix()[: -len(SCHEMA_SUFFIX)] not in schemas.documents:
            problems.append(f"{pointer}: $ref {ref!r} is not a valid schema file under {display(schemas.directory)}")
            continue
        try:
            schemas.registry.resolver(base_uri=base).lookup(ref)
        except Unresolvable as error:
            problems.append(f"{pointer}: $ref {ref!r} does not resolve locally ({type(error).__name__})")
    try:
        from openapi_spec_validator import validate
        from openapi_spec_validator.readers import read_from_filename
    except ImportError:
        report.note(f"openapi_spec_validator is not installed: (f) only checked the $refs of {display(path)}")
    else:
        try:
            spec, base_uri = read_from_filename(str(path))
            validate(spec, base_uri=base_uri)
        except Exception as error:  # noqa: BLE001 - any failure of the validator is a finding about the file
            message = str(error).split(" within {", 1)[0]  # a PointerToNowhere message repeats the whole document
            problems.append(f"$: not a valid OpenAPI document: {type(error).__name__}: {shorten(message)}")
    if problems:
        report.fail(what, problems)
    else:
        report.ok(what)


def check_version(report: Report) -> None:
    """(g) One source for the version: Sources/RelayCore/RelayVersion.swift; openapi.yaml and the image tag agree."""
    import re
    source = ROOT / "Sources" / "RelayCore" / "RelayVersion.swift"
    match = re.search(r'static let current = "([^"]+)"', source.read_text(encoding="utf-8"))
    if not match:
        report.fail(display(source), ["$: no `static let current = \"…\"` found"])
        return
    version = match.group(1)
    problems: list[str] = []
    openapi = load_instance(ROOT / "Schemas" / OPENAPI_FILE)
    if str(openapi.get("info", {}).get("version")) != version:
        problems.append(f"Schemas/{OPENAPI_FILE}: info.version is not {version}")
    for path in [ROOT / "Deploy" / "kubernetes" / "deployment.yaml"]:
        for tag in re.findall(r"image: \S+?:([0-9][^\s]*)", path.read_text(encoding="utf-8")):
            if tag != version:
                problems.append(f"{display(path)}: image tag {tag} is not {version}")
    if problems:
        report.fail(display(source) + " [version]", problems)
    else:
        report.ok(display(source) + f" [version {version}]")


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="validate_schemas.py",
        description=__doc__.split("\n\n")[0],
        epilog="\n\n".join(__doc__.split("\n\n")[1:]),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--schemas", type=Path, default=ROOT / "Schemas", metavar="DIR",
                        help="schema directory (default: %(default)s)")
    parser.add_argument("--fixtures", type=Path, default=ROOT / "Tests" / "RelayCoreTests" / "Resources", metavar="DIR",
                        help="fixture root holding <aggregator>/*.json and *.expected.json; e.g. "
                             "/work/shared/research/payloads (default: %(default)s)")
    parser.add_argument("--config", type=Path, default=ROOT / "Deploy" / "config.example.yaml", metavar="FILE",
                        help="YAML config to check against config.schema.json; skipped if absent (default: %(default)s)")
    parser.add_argument("--max-errors", type=int, default=10, metavar="N",
                        help="print at most N errors per file (default: %(default)s)")
    parser.add_argument("-v", "--verbose", action="store_true", help="also print a line for every check that passes")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    report = Report(verbose=arguments.verbose, max_errors=max(1, arguments.max_errors))
    schemas = Schemas(arguments.schemas.resolve(), report)
    schemas.load()  # (d)
    check_fixtures(schemas, arguments.fixtures, report)  # (a), (b)
    check_config(schemas, arguments.config, report)  # (c)
    check_examples(schemas, report)  # (e)
    check_openapi(schemas, report)  # (f)
    check_version(report)  # (g)
    print(report.summary())
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
