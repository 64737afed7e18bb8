"""Loading the global catalogue from ESCO files, and searching it."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import Engine, case, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from backend.crud import like_pattern
from backend.skills.esco import EscoConcept, read_esco_csv
from backend.skills.models import CatalogConcept, CatalogKind
from tenants.base import new_id

_BATCH = 2000


def search_text(concept: EscoConcept) -> str:
    return " | ".join([concept.preferred_label, *concept.alt_labels]).lower()


def import_catalog(engine: Engine, path: Path, kind: CatalogKind) -> int:
    """Upsert every concept of an ESCO CSV by URI, in one transaction: a bad line changes nothing."""
    concepts = read_esco_csv(path)
    count = 0
    with engine.begin() as connection:
        while batch := list(itertools.islice(concepts, _BATCH)):
            statement = insert(CatalogConcept).values(
                [
                    {
                        "id": new_id(),
                        "kind": kind,
                        "uri": c.uri,
                        "label": c.preferred_label,
                        "alt_labels": list(c.alt_labels),
                        "description": c.description,
                        "search_text": search_text(c),
                    }
                    for c in batch
                ]
            )
            connection.execute(
                statement.on_conflict_do_update(
                    index_elements=[CatalogConcept.uri],
                    set_={
                        "kind": statement.excluded.kind,
                        "label": statement.excluded.label,
                        "alt_labels": statement.excluded.alt_labels,
                        "description": statement.excluded.description,
                        "search_text": statement.excluded.search_text,
                    },
                )
            )
            count += len(batch)
    return count


def catalog_size(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.scalar(select(func.count()).select_from(CatalogConcept)) or 0)


async def search_catalog(
    session: AsyncSession, q: str, kind: CatalogKind | None, limit: int
) -> Sequence[CatalogConcept]:
    """Label and alternative labels, best first: exact label, label prefix, label substring, alt label."""
    needle = q.strip().lower()
    pattern = like_pattern(needle)
    label = func.lower(CatalogConcept.label)
    rank = case(
        (label == needle, 0),
        (label.startswith(needle, autoescape=True), 1),
        (label.like(pattern), 2),
        else_=3,
    )
    query = select(CatalogConcept).where(CatalogConcept.search_text.like(pattern))
    if kind is not None:
        query = query.where(CatalogConcept.kind == kind)
    query = query.order_by(rank, func.length(CatalogConcept.label), CatalogConcept.label).limit(limit)
    return (await session.scalars(query)).all()
