"""OpenAPI details Litestar 2 gets wrong or leaves out: msgspec structs, and request bodies that may be absent."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import msgspec
from litestar._openapi.schema_generation.plugins.struct import StructSchemaPlugin
from litestar.openapi.spec import OpenAPIMediaType, Operation, RequestBody, Schema
from litestar.openapi.spec.enums import OpenAPIType
from litestar.typing import FieldDefinition

if TYPE_CHECKING:
    from litestar._openapi.schema_generation import SchemaCreator

# msgspec constraint -> JSON Schema keyword
_CONSTRAINTS = {
    "ge": "minimum",
    "le": "maximum",
    "gt": "exclusive_minimum",
    "lt": "exclusive_maximum",
    "min_length": "min_length",
    "max_length": "max_length",
    "pattern": "pattern",
}

_COLLECTIONS = (msgspec.inspect.ListType, msgspec.inspect.SetType, msgspec.inspect.FrozenSetType)


def _constraints(info: Any) -> dict[str, Any]:
    """The constraints of a field's type, looking through `X | None | UNSET` unions."""
    types = info.types if isinstance(info, msgspec.inspect.UnionType) else (info,)
    found: dict[str, Any] = {}
    for member in types:
        collection = isinstance(member, _COLLECTIONS)
        for name, keyword in _CONSTRAINTS.items():
            value = getattr(member, name, None)
            if value is not None:
                # A collection's length bounds are its number of items.
                found[keyword.replace("length", "items") if collection else keyword] = value
    return found


def _item_type(info: Any) -> Any:
    """The item type of a list or set field (through `X | None | UNSET` unions), or None."""
    types = info.types if isinstance(info, msgspec.inspect.UnionType) else (info,)
    for member in types:
        if isinstance(member, _COLLECTIONS):
            return member.item_type
    return None


def _schema_of(prop: Schema) -> Schema:
    """The non-null branch of an optional property's `oneOf`, or the property itself."""
    for branch in prop.one_of or ():
        if isinstance(branch, Schema) and branch.type != "null":
            return branch
    return prop


class StrictStructSchemaPlugin(StructSchemaPlugin):
    """Three repairs:
    - request bodies refuse unknown fields (a typo must not be silently dropped), so the schema says
      `additionalProperties: false`; Litestar 2's struct plugin does not look at that option;
    - on optional fields Litestar 2 drops a bound that is falsy (`ge=0`), so every constraint is
      copied again from msgspec's own description of the type;
    - Litestar 2 drops the constraints of a list's items (`list[Domain]`), so they are copied too.
    """

    def to_openapi_schema(self, field_definition: FieldDefinition, schema_creator: SchemaCreator) -> Schema:
        schema = super().to_openapi_schema(field_definition, schema_creator)
        info = msgspec.inspect.type_info(field_definition.type_)
        if not isinstance(info, msgspec.inspect.StructType):
            return schema
        if info.forbid_unknown_fields:
            schema.additional_properties = False
        for field in info.fields:
            prop = (schema.properties or {}).get(field.encode_name)
            if isinstance(prop, Schema):
                for keyword, value in _constraints(field.type).items():
                    setattr(prop, keyword, value)
                item_type = _item_type(field.type)
                items = _schema_of(prop).items
                if item_type is not None and isinstance(items, Schema):
                    for keyword, value in _constraints(item_type).items():
                        setattr(items, keyword, value)
        return schema


@dataclass
class OptionalBodyOperation(Operation):
    """The operation of a handler whose body has a default (every field of it is optional): the body may
    be left out, which Litestar 2 never says (it marks every request body required)."""

    def __post_init__(self) -> None:
        if isinstance(self.request_body, RequestBody):
            self.request_body.required = False


@dataclass
class NoInputOperation(Operation):
    """The operation of an action that takes no input: no body, an empty one, or `{}`."""

    def __post_init__(self) -> None:
        self.request_body = RequestBody(
            required=False,
            description="The action takes no input: send no body, or an empty object.",
            content={
                "application/json": OpenAPIMediaType(
                    schema=Schema(type=OpenAPIType.OBJECT, additional_properties=False, max_properties=0)
                )
            },
        )
