"""The /api/v1/scim-tokens bodies. The SCIM documents themselves are scim2-models' pydantic models."""

from __future__ import annotations

import uuid
from datetime import datetime

from msgspec import Struct

from backend.api.fields import Name


class ScimTokenCreate(Struct, forbid_unknown_fields=True):
    # Says which identity provider holds the token, e.g. "Okta production".
    name: Name


class ScimTokenRead(Struct):
    id: uuid.UUID
    name: str
    prefix: str
    created_by: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ScimTokenCreated(Struct):
    """The only time the token is shown: store it in the identity provider's SCIM settings now."""

    id: uuid.UUID
    name: str
    prefix: str
    created_at: datetime
    token: str
    # Where the identity provider sends its requests (the "SCIM connector base URL").
    scim_base_url: str
