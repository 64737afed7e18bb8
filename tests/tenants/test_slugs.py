import pytest

from tenants.slugs import InvalidSlugError, schema_for, validate_slug


@pytest.mark.parametrize("slug", ["acme", "northwind", "a1", "big_corp_2", "x" * 30])
def test_valid_slugs_are_accepted(slug: str) -> None:
    assert validate_slug(slug) == slug
    assert schema_for(slug) == f"t_{slug}"


@pytest.mark.parametrize(
    ("slug", "reason"),
    [
        ("", "empty"),
        ("Acme", "lowercase"),
        ("acme-corp", "lowercase"),
        ("acme;drop table x", "lowercase"),
        ("acme'--", "lowercase"),
        ('a"b', "lowercase"),
        ("1acme", "lowercase"),
        ("_acme", "lowercase"),
        ("acme_", "may not end"),
        ("ac__me", "may not end"),
        ("x" * 31, "longer than 30"),
        ("select", "reserved"),
        ("user", "reserved"),
        ("public", "reserved"),
        ("control", "reserved"),
        ("pg_catalog", "reserved"),
    ],
)
def test_bad_slugs_get_a_one_line_reason(slug: str, reason: str) -> None:
    with pytest.raises(InvalidSlugError) as error:
        validate_slug(slug)
    message = str(error.value)
    assert reason in message
    assert "\n" not in message
