"""Request validation driven by `(mysetlist.options.v1.rules)` and `google.api.field_behavior`."""

from __future__ import annotations

import datetime
import functools
import math
import re
from dataclasses import dataclass
from typing import Any, Literal

from google.api import field_behavior_pb2
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message
from mysetlist.options.v1 import options_pb2

__all__ = ["validate_message"]

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

Kind = Literal["string", "bytes", "number", "enum", "bool", "message"]

_KINDS: dict[int, Kind] = {
    FieldDescriptor.TYPE_STRING: "string",
    FieldDescriptor.TYPE_BYTES: "bytes",
    FieldDescriptor.TYPE_ENUM: "enum",
    FieldDescriptor.TYPE_BOOL: "bool",
    FieldDescriptor.TYPE_MESSAGE: "message",
    FieldDescriptor.TYPE_GROUP: "message",
}


@dataclass(frozen=True, slots=True)
class _Check:
    """What to check on one field, compiled once per message type."""

    field: FieldDescriptor
    name: str
    kind: Kind
    rules: options_pb2.FieldRules
    required: bool
    repeated: bool
    is_map: bool
    presence: bool
    recurse: bool  # a message whose type (transitively) has checks of its own


def validate_message(message: Message) -> list[tuple[str, str]]:
    """Every violation in `message` as (field path, description), e.g. ("songs[3].title", "is required")."""
    violations: list[tuple[str, str]] = []
    _validate(message, "", violations)
    return violations


def _validate(message: Message, prefix: str, out: list[tuple[str, str]]) -> None:
    for check in _plan(message.DESCRIPTOR):
        path = prefix + check.name
        value = getattr(message, check.name)
        if check.repeated:
            _validate_repeated(check, value, path, out)
        elif check.kind == "message":
            if not message.HasField(check.name):
                if check.required:
                    out.append((path, "is required"))
            elif check.recurse:
                _validate(value, path + ".", out)
        else:
            is_set = message.HasField(check.name) if check.presence else bool(value)
            if not is_set:
                if check.required:
                    out.append((path, "is required"))
                continue
            problem = _check_value(check, value)
            if problem:
                out.append((path, problem))


def _validate_repeated(check: _Check, value: Any, path: str, out: list[tuple[str, str]]) -> None:
    count = len(value)
    rules = check.rules
    # Item counts apply to empty lists too: `min_items: 1` means "give at least one".
    if count == 0 and check.required:
        out.append((path, "is required"))
        return
    if rules.min_items and count < rules.min_items:
        out.append((path, f"must have at least {_items(rules.min_items)}"))
    if rules.max_items and count > rules.max_items:
        out.append((path, f"must have at most {_items(rules.max_items)}"))
        return  # checking 10,000 items of a refused list is wasted work
    items = value.items() if check.is_map else enumerate(value)
    for key, item in items:
        item_path = (
            f'{path}["{key}"]' if check.is_map and isinstance(key, str) else f"{path}[{key}]"
        )
        if check.kind == "message":
            if check.recurse:
                _validate(item, item_path + ".", out)
        else:
            problem = _check_value(check, item)
            if problem:
                out.append((item_path, problem))


def _check_value(check: _Check, value: Any) -> str | None:
    """The first rule a set value breaks, described for the caller, or None."""
    rules = check.rules
    if check.kind == "string":
        length = len(value)
        if rules.min_len and length < rules.min_len:
            return f"must be at least {rules.min_len} characters"
        if rules.max_len and length > rules.max_len:
            return f"must be at most {rules.max_len} characters"
        if rules.uuid and not _UUID.fullmatch(value):
            return "must be a UUID"
        if rules.slug and not _SLUG.fullmatch(value):
            return "must be a slug (lowercase letters, digits and single dashes)"
        if rules.iso_date and not _is_date(value):
            return "must be a date YYYY-MM-DD"
    elif check.kind == "bytes":
        if rules.min_len and len(value) < rules.min_len:
            return f"must be at least {rules.min_len} bytes"
        if rules.max_len and len(value) > rules.max_len:
            return f"must be at most {rules.max_len} bytes"
    elif check.kind == "number":
        has_gte, has_lte = rules.HasField("gte"), rules.HasField("lte")
        if (has_gte or has_lte) and isinstance(value, float) and math.isnan(value):
            return "must be a number"
        if has_gte and value < rules.gte:
            return f"must be at least {_number(rules.gte)}"
        if has_lte and value > rules.lte:
            return f"must be at most {_number(rules.lte)}"
    elif check.kind == "enum":
        enum_type = check.field.enum_type
        if rules.defined_only and enum_type is not None and value not in enum_type.values_by_number:
            return "must be a defined enum value"
    return None


def _is_date(value: str) -> bool:
    if not _DATE.fullmatch(value):
        return False
    try:
        datetime.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _items(count: int) -> str:
    return f"{count} item" if count == 1 else f"{count} items"


def _number(bound: float) -> str:
    return str(int(bound)) if bound.is_integer() else str(bound)


def _field_rules(field: FieldDescriptor) -> tuple[options_pb2.FieldRules | None, bool]:
    options = field.GetOptions()
    rules = (
        options.Extensions[options_pb2.rules] if options.HasExtension(options_pb2.rules) else None
    )
    behaviors = options.Extensions[field_behavior_pb2.field_behavior]
    required = field_behavior_pb2.REQUIRED in behaviors or bool(rules and rules.required)
    return rules, required


def _value_message_type(field: FieldDescriptor) -> Descriptor | None:
    """The message type of a field's values (a map's value type for maps)."""
    message_type = field.message_type
    if message_type is not None and message_type.GetOptions().map_entry:
        return message_type.fields_by_name["value"].message_type
    return message_type


def _has_own_rules(descriptor: Descriptor) -> bool:
    return any(
        field.GetOptions().HasExtension(options_pb2.rules) or _field_rules(field)[1]
        for field in descriptor.fields
    )


@functools.cache
def _needs_validation(descriptor: Descriptor) -> bool:
    """Whether the type or any type reachable from it carries rules (cycle-safe)."""
    seen: set[str] = set()
    stack = [descriptor]
    while stack:
        current = stack.pop()
        if current.full_name in seen:
            continue
        seen.add(current.full_name)
        if _has_own_rules(current):
            return True
        stack.extend(
            sub for field in current.fields if (sub := _value_message_type(field)) is not None
        )
    return False


@functools.cache
def _plan(descriptor: Descriptor) -> tuple[_Check, ...]:
    """The checks for a message type; fields with nothing to check are left out."""
    checks = []
    for field in descriptor.fields:
        rules, required = _field_rules(field)
        is_map = field.message_type is not None and field.message_type.GetOptions().map_entry
        value_type = _value_message_type(field)
        kind: Kind = "message" if value_type is not None else _KINDS.get(field.type, "number")
        if is_map and value_type is None:
            value_field = field.message_type.fields_by_name["value"]
            kind = _KINDS.get(value_field.type, "number")
        recurse = value_type is not None and _needs_validation(value_type)
        if rules is None and not required and not recurse:
            continue
        checks.append(
            _Check(
                field=field.message_type.fields_by_name["value"] if is_map else field,
                name=field.name,
                kind=kind,
                rules=rules or options_pb2.FieldRules(),
                required=required,
                repeated=field.is_repeated,
                is_map=bool(is_map),
                presence=field.has_presence,
                recurse=recurse,
            )
        )
    return tuple(checks)
