"""The ESCO CSV reader, on the bundled catalogue and on files in the official ESCO layout."""

from __future__ import annotations

import csv
import gzip
import io
from pathlib import Path

import pytest

from backend.skills.esco import (
    BUNDLED_OCCUPATIONS,
    BUNDLED_SKILLS,
    EscoConcept,
    EscoFormatError,
    read_esco_csv,
)

SKILL = "http://data.europa.eu/esco/skill/"
OCCUPATION = "http://data.europa.eu/esco/occupation/"

# The header of ESCO v1.1 skills_en.csv, to show that unused columns are ignored.
OFFICIAL_HEADER = [
    "conceptType",
    "conceptUri",
    "skillType",
    "reuseLevel",
    "preferredLabel",
    "altLabels",
    "hiddenLabels",
    "status",
    "modifiedDate",
    "scopeNote",
    "definition",
    "inScheme",
    "description",
]


def write_csv(path: Path, header: list[str], rows: list[dict[str, str]], *, bom: bool = False) -> Path:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(column, "") for column in header])
    data = ("\ufeff" if bom else "") + text.getvalue()
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(data.encode("utf-8")))
    else:
        path.write_text(data, encoding="utf-8")
    return path


def official_row(uri: str, label: str, alt_labels: str = "", description: str = "") -> dict[str, str]:
    return {
        "conceptType": "KnowledgeSkillCompetence",
        "conceptUri": uri,
        "skillType": "skill/competence",
        "reuseLevel": "sector-specific",
        "preferredLabel": label,
        "altLabels": alt_labels,
        "hiddenLabels": "",
        "status": "released",
        "modifiedDate": "2016-12-20T19:32:45Z",
        "inScheme": "http://data.europa.eu/esco/concept-scheme/skills,\nhttp://data.europa.eu/esco/concept-scheme/member-skills",
        "description": description,
    }


def format_error(path: Path) -> str:
    with pytest.raises(EscoFormatError) as caught:
        list(read_esco_csv(path))
    message = str(caught.value)
    assert "\n" not in message
    return message


# ---------------------------------------------------------------------------------------------
# The bundled catalogue


@pytest.fixture(scope="module")
def bundled_skills() -> dict[str, EscoConcept]:
    return {concept.uri: concept for concept in read_esco_csv(BUNDLED_SKILLS)}


@pytest.fixture(scope="module")
def bundled_occupations() -> dict[str, EscoConcept]:
    return {concept.uri: concept for concept in read_esco_csv(BUNDLED_OCCUPATIONS)}


def test_bundled_skills_are_the_whole_esco_skill_pillar(bundled_skills: dict[str, EscoConcept]) -> None:
    assert 13_800 <= len(bundled_skills) <= 14_100
    concepts = bundled_skills.values()
    assert all(c.uri.startswith(SKILL) for c in concepts)
    assert {c.concept_type for c in concepts} == {"KnowledgeSkillCompetence"}
    assert all(c.preferred_label and c.preferred_label == c.preferred_label.strip() for c in concepts)
    # The definition was split off the labels nearly everywhere, and never left inside a label.
    assert sum(1 for c in concepts if c.description) >= 0.999 * len(bundled_skills)
    assert not [c for c in concepts if c.description and c.description[:40] in c.preferred_label]


def test_bundled_occupations_leave_isco_groups_out(bundled_occupations: dict[str, EscoConcept]) -> None:
    assert 2_900 <= len(bundled_occupations) <= 3_200
    assert all(uri.startswith(OCCUPATION) for uri in bundled_occupations)
    assert {c.concept_type for c in bundled_occupations.values()} == {"Occupation"}


@pytest.mark.parametrize(
    ("concept_id", "label", "alt_label", "definition_start"),
    [
        (
            "0005c151-5b5a-4a66-8aac-60e734beb1ab",
            "manage musical staff",
            "direct musical staff",
            "Assign and manage staff tasks",
        ),
        (
            "00064735-8fad-454b-90c7-ed858cc993f2",
            "supervise correctional procedures",
            "oversee prison procedures",
            "Supervise the operations of a correctional facility",
        ),
        ("598de5b0-5b58-4ea7-8058-a4bc4d18c742", "SQL", None, "The computer language SQL"),
        ("c062bab3-3ea0-4291-9220-a2d8fef4bead", "SQL Server", "MS SQL Server", "The computer program SQL Server"),
        ("ccd0a1d9-afda-43d9-b901-96344886e14d", "Python (computer programming)", None, "The techniques"),
    ],
)
def test_known_skills_have_sensible_labels(
    bundled_skills: dict[str, EscoConcept], concept_id: str, label: str, alt_label: str | None, definition_start: str
) -> None:
    concept = bundled_skills[SKILL + concept_id]
    assert concept.preferred_label == label
    if alt_label is not None:
        assert alt_label in concept.alt_labels
    assert label not in concept.alt_labels
    assert concept.description.startswith(definition_start)


def test_known_occupations_have_sensible_labels(bundled_occupations: dict[str, EscoConcept]) -> None:
    director = bundled_occupations[OCCUPATION + "00030d09-2b3a-4efd-87cc-c4ea39d27c34"]
    assert director.preferred_label == "technical director"
    assert director.alt_labels == (
        "technical and operations director",
        "head of technical",
        "director of technical arts",
        "head of technical department",
        "technical supervisor",
        "technical manager",
    )
    assert director.description.startswith("Technical directors realise the artistic visions")
    # An acronym-led label, where the definition starts with a capitalised label word.
    consultant = bundled_occupations[OCCUPATION + "6e92d4b5-3167-4166-802f-da7753951a31"]
    assert consultant.preferred_label == "ICT research consultant"
    assert consultant.description.startswith("ICT research consultants perform targeted ICT research")


# ---------------------------------------------------------------------------------------------
# Files in the official layout


@pytest.mark.parametrize("name", ["skills_en.csv", "skills_en.csv.gz"])
def test_reads_the_official_layout(tmp_path: Path, name: str) -> None:
    path = write_csv(
        tmp_path / name,
        OFFICIAL_HEADER,
        [
            official_row(
                SKILL + "0005c151-5b5a-4a66-8aac-60e734beb1ab",
                "  manage musical staff ",
                # Official altLabels: one label per line; blank lines, stray spaces and a repeat of the
                # preferred label occur in the wild.
                "manage staff of music\n coordinate duties of  musical staff \n\nMANAGE MUSICAL STAFF\n"
                "manage music staff\r\ndirect musical staff\nmanage staff of music",
                " Assign and manage staff tasks in areas such as scoring.\n",
            ),
            official_row(SKILL + "000709ed-2be5-4193-b056-45a97698d828", "apply anti-oppressive practices"),
        ],
        bom=True,
    )
    first, second = read_esco_csv(path)
    assert first == EscoConcept(
        uri=SKILL + "0005c151-5b5a-4a66-8aac-60e734beb1ab",
        preferred_label="manage musical staff",
        alt_labels=(
            "manage staff of music",
            "coordinate duties of musical staff",
            "manage music staff",
            "direct musical staff",
        ),
        description="Assign and manage staff tasks in areas such as scoring.",
        concept_type="KnowledgeSkillCompetence",
    )
    assert second.alt_labels == ()
    assert second.description == ""


def test_optional_columns_may_be_missing(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "minimal.csv",
        ["preferredLabel", "conceptUri"],
        [
            {"conceptUri": "https://example.org/skill/1", "preferredLabel": "juggling"},
        ],
    )
    (concept,) = read_esco_csv(path)
    assert concept == EscoConcept("https://example.org/skill/1", "juggling", (), "", "")


# ---------------------------------------------------------------------------------------------
# Errors: one line, naming the file and the line where the bad record starts


def test_missing_columns_are_named(tmp_path: Path) -> None:
    header = [c for c in OFFICIAL_HEADER if c not in ("conceptUri", "preferredLabel")]
    path = write_csv(tmp_path / "skills.csv", header, [])
    assert format_error(path) == "skills.csv line 1: missing column(s): conceptUri, preferredLabel"


def test_bad_uri_names_the_line_after_multiline_records(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "skills.csv",
        OFFICIAL_HEADER,
        [
            official_row(SKILL + "a", "first", "one\ntwo\nthree"),  # lines 2-5: altLabels and inScheme span lines
            official_row("not a uri", "second"),
        ],
    )
    assert format_error(path) == "skills.csv line 6: conceptUri is not an http(s) URI: 'not a uri'"


@pytest.mark.parametrize("uri", ["urn:esco:skill:1", "ftp://data.europa.eu/esco/skill/1", "http://", "http://a b"])
def test_only_http_uris_pass(tmp_path: Path, uri: str) -> None:
    path = write_csv(
        tmp_path / "skills.csv",
        ["conceptUri", "preferredLabel"],
        [
            {"conceptUri": uri, "preferredLabel": "x"},
        ],
    )
    assert "skills.csv line 2: conceptUri is not an http(s) URI" in format_error(path)


def test_empty_preferred_label(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "skills.csv.gz",
        OFFICIAL_HEADER,
        [official_row(SKILL + "a", "fine"), official_row(SKILL + "b", "   ", "an alternative")],
    )
    assert format_error(path) == "skills.csv.gz line 4: missing preferredLabel"


def test_missing_uri_and_duplicate_uri(tmp_path: Path) -> None:
    header = ["conceptUri", "preferredLabel"]
    missing = write_csv(tmp_path / "a.csv", header, [{"conceptUri": " ", "preferredLabel": "x"}])
    assert format_error(missing) == "a.csv line 2: missing conceptUri"
    twice = write_csv(
        tmp_path / "b.csv",
        header,
        [
            {"conceptUri": SKILL + "a", "preferredLabel": "x"},
            {"conceptUri": SKILL + "a", "preferredLabel": "y"},
        ],
    )
    assert format_error(twice) == f"b.csv line 3: duplicate conceptUri {SKILL}a (first on line 2)"


def test_broken_files(tmp_path: Path) -> None:
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("conceptUri,preferredLabel\nhttp://example.org/1,x,extra\n", encoding="utf-8")
    assert format_error(ragged) == "ragged.csv line 2: expected 2 fields, found 3"
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    assert format_error(empty) == "empty.csv: empty file, expected an ESCO CSV header"
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes("conceptUri,preferredLabel\nhttp://example.org/1,café\n".encode("latin-1"))
    assert format_error(latin1).startswith("latin1.csv: not UTF-8 text")
    not_gzip = tmp_path / "plain.csv.gz"
    not_gzip.write_text("conceptUri,preferredLabel\n", encoding="utf-8")
    assert format_error(not_gzip).startswith("plain.csv.gz: damaged gzip data")
