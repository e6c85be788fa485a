"""Validating export payloads against the services' published API descriptions.

The descriptions live in ../shared/specs (read each SOURCE.txt); they are not
copied into this repository. OpenAPI 3.x and Swagger 2.0 schemas are checked
with jsonschema (their $refs resolved inside the document); Amazon SES
publishes a botocore shape model instead, walked by :func:`ses_errors`.
Postmark publishes no machine-readable description: POSTMARK_EMAIL is written
from its API reference (https://postmarkapp.com/developer/api/email-api).
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from .conftest import SHARED

SPECS = SHARED / "specs"


def require_specs() -> Path:
    if not SPECS.is_dir():
        pytest.skip(f"API descriptions not found at {SPECS} (../shared is absent)")
    return SPECS


@cache
def load(relative: str) -> Any:
    path = require_specs() / relative
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        return json.loads(text)
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def validator(relative: str, pointer: str) -> Draft202012Validator:
    """A validator for the schema at JSON pointer ``pointer`` of a spec document."""
    uri = f"urn:spec:{relative}"
    resource = Resource.from_contents(load(relative), default_specification=DRAFT202012)
    registry: Registry[Any] = Registry().with_resource(uri, resource)
    return Draft202012Validator({"$ref": f"{uri}#{pointer}"}, registry=registry)


def schema_errors(relative: str, pointer: str, instance: Any) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message[:200]}"
        for e in validator(relative, pointer).iter_errors(instance)
    ]


def ses_errors(shape_name: str, value: Any, path: str = "") -> list[str]:
    """Check ``value`` against a botocore shape: required members, no unknown ones, types, limits."""
    shapes = load("ses/sesv2-2019-09-27-service-2.json")["shapes"]
    shape = shapes[shape_name]
    kind = shape["type"]
    where = path or shape_name
    errors: list[str] = []
    if kind == "structure":
        if not isinstance(value, dict):
            return [f"{where}: expected an object"]
        for name in shape.get("required", []):
            if name not in value:
                errors.append(f"{where}: missing required {name}")
        for name, member in value.items():
            if name not in shape["members"]:
                errors.append(f"{where}: unknown member {name}")
                continue
            errors += ses_errors(shape["members"][name]["shape"], member, f"{where}.{name}")
    elif kind == "list":
        if not isinstance(value, list):
            return [f"{where}: expected a list"]
        if "max" in shape and len(value) > shape["max"]:
            errors.append(f"{where}: more than {shape['max']} items")
        for index, item in enumerate(value):
            errors += ses_errors(shape["member"]["shape"], item, f"{where}[{index}]")
    elif kind == "string":
        if not isinstance(value, str):
            return [f"{where}: expected a string"]
        if "enum" in shape and value not in shape["enum"]:
            errors.append(f"{where}: {value!r} not in {shape['enum']}")
        if "min" in shape and len(value) < shape["min"]:
            errors.append(f"{where}: shorter than {shape['min']}")
        if "max" in shape and len(value) > shape["max"]:
            errors.append(f"{where}: longer than {shape['max']}")
        if "pattern" in shape and not re.search(shape["pattern"], value):
            errors.append(f"{where}: does not match {shape['pattern']}")
    elif kind in {"integer", "long"}:
        if not isinstance(value, int) or isinstance(value, bool):
            errors.append(f"{where}: expected an integer")
    elif kind == "boolean" and not isinstance(value, bool):
        errors.append(f"{where}: expected a boolean")
    return errors


POSTMARK_EMAIL = {
    "type": "object",
    "required": ["From", "To"],
    "additionalProperties": False,
    "properties": {
        "From": {"type": "string", "minLength": 3},
        "To": {"type": "string", "minLength": 3},
        "Cc": {"type": "string"},
        "Bcc": {"type": "string"},
        "Subject": {"type": "string"},
        "Tag": {"type": "string", "maxLength": 1000},
        "HtmlBody": {"type": "string"},
        "TextBody": {"type": "string"},
        "ReplyTo": {"type": "string"},
        "Headers": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["Name", "Value"],
                "properties": {"Name": {"type": "string"}, "Value": {"type": "string"}},
            },
        },
        "TrackOpens": {"type": "boolean"},
        "TrackLinks": {"enum": ["None", "HtmlAndText", "HtmlOnly", "TextOnly"]},
        "Metadata": {"type": "object"},
        "MessageStream": {"type": "string"},
    },
    "anyOf": [{"required": ["HtmlBody"]}, {"required": ["TextBody"]}],
}


def request_schema(service: str, method: str, path: str) -> tuple[str, str]:
    """(spec file, JSON pointer) of the request body schema for one operation."""
    escaped = path.replace("~", "~0").replace("/", "~1")
    table = {
        "mailchimp": "mailchimp/mailchimp-campaigns-api-openapi.yml",
        "sendgrid": "sendgrid/tsg_mail_v3.json",
        "sendgrid-singlesend": "sendgrid/tsg_mc_singlesends_v3.json",
        "mailgun": "mailgun/openapi.yaml",
        "listmonk": "listmonk/collections.yaml",
        "buttondown": "buttondown/openapi.json",
    }
    spec = table[service]
    operation = load(spec)["paths"][path][method.lower()]
    if "parameters" in operation and any(p.get("in") == "body" for p in operation["parameters"]):
        index = next(i for i, p in enumerate(operation["parameters"]) if p.get("in") == "body")
        return spec, f"/paths/{escaped}/{method.lower()}/parameters/{index}/schema"
    body = operation["requestBody"]
    if "$ref" in body:
        body_pointer = body["$ref"].lstrip("#")
        body = load(spec)["components"]["requestBodies"][body_pointer.rsplit("/", 1)[1]]
        content_type = next(iter(body["content"]))
        return spec, f"{body_pointer}/content/{content_type.replace('/', '~1')}/schema"
    content_type = next(iter(body["content"]))
    return (
        spec,
        f"/paths/{escaped}/{method.lower()}/requestBody/content/{content_type.replace('/', '~1')}/schema",
    )
