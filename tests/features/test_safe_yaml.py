"""User YAML is bounded: alias bombs and huge documents are refused at once, anchors that
stay small still work, and errors quote only a short prefix of a value."""

from __future__ import annotations

from pathlib import Path

import pytest

from features.ingest import InputError
from features.ingest.mapping_load import load_mapping
from features.safe_yaml import (
    MAX_BYTES,
    YamlLimitError,
    clipped,
    load_yaml,
    read_settings_file,
    read_yaml,
)
from features.spec import load_feature_spec
from models.config import load_train_config
from rules.loader import check_rulebook
from serving.spark.session import load_spark_settings

RULEBOOK = Path(__file__).resolve().parents[2] / "rules" / "rulebooks" / "default.yaml"


def laughs(depth: int = 9) -> str:
    """A billion-laughs alias chain: 9 levels of 10 aliases each expand to 10**9 strings."""
    lines = ['a0: &a0 "lol"']
    for i in range(1, depth + 1):
        lines.append(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]")
    return "\n".join(lines) + "\n"


def test_an_alias_bomb_is_refused_before_it_expands() -> None:
    with pytest.raises(YamlLimitError, match="aliases expanded.*more than 100,000 values"):
        load_yaml(laughs(), "bomb.yaml")


def test_small_anchors_and_merge_keys_still_work() -> None:
    text = "base: &b {x: 1, y: [1, 2]}\nchild:\n  <<: *b\n  y: [3]\nother: *b\n"
    assert load_yaml(text, "ok.yaml") == {
        "base": {"x": 1, "y": [1, 2]},
        "child": {"x": 1, "y": [3]},
        "other": {"x": 1, "y": [1, 2]},
    }


def test_a_self_referencing_alias_is_refused() -> None:
    with pytest.raises(YamlLimitError, match="containing itself"):
        load_yaml("a: &a [1, *a]\n", "loop.yaml")


def test_a_huge_document_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    path.write_text("x: '" + "a" * MAX_BYTES + "'\n")
    with pytest.raises(YamlLimitError, match=r"huge.yaml: 2,000,00\d bytes is more than"):
        read_yaml(path)


def test_python_objects_are_never_built() -> None:
    with pytest.raises(Exception, match="could not determine a constructor"):
        load_yaml("x: !!python/object/apply:os.system ['true']\n", "evil.yaml")


def test_every_user_yaml_goes_through_the_bounded_loader(tmp_path: Path) -> None:
    bomb = laughs()
    rulebook = tmp_path / "rules.yaml"
    condition = "when: {var: seniority, op: eq, value: director}"
    rulebook.write_text(
        bomb + RULEBOOK.read_text().replace(condition, condition.replace("director", "*a9"), 1)
    )
    problems = check_rulebook(rulebook)
    assert len(problems) == 1 and "aliases expanded" in str(problems[0])

    mapping = tmp_path / "map.yaml"
    mapping.write_text(bomb + "null_values: *a9\ncontacts: {source: c.csv}\n")
    with pytest.raises(InputError, match="map.yaml.*aliases expanded"):
        load_mapping(mapping)
    for name, load in (
        ("spec.yaml", load_feature_spec),
        ("train.yaml", load_train_config),
        ("spark.yaml", load_spark_settings),
    ):
        path = tmp_path / name
        path.write_text(bomb)
        with pytest.raises(ValueError, match=f"{name}.*aliases expanded"):
            load(path)


def test_errors_quote_only_a_short_prefix_of_a_value(tmp_path: Path) -> None:
    long = "x" * 200_000
    path = tmp_path / "long.yaml"
    path.write_text(
        RULEBOOK.read_text().replace(
            "when: {var: seniority, op: eq, value: director}",
            f"when: {{var: {long}, op: {long}, value: [{', '.join(['lol'] * 2_000)}]}}",
            1,
        )
    )
    problems = [str(p) for p in check_rulebook(path)]
    assert problems and all(len(p) < 800 for p in problems)
    assert any("(200,002 characters)" in p or "(200,000 characters)" in p for p in problems)
    assert clipped("a " * 10_000).endswith("(message of 20,000 characters cut)")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (None, "bot filter settings not found: .*s.yaml"),
        ("a: [1", "s.yaml: not valid YAML"),
        ("- 1\n- 2\n", "s.yaml: expected a mapping at the top level, got list"),
    ],
)
def test_a_settings_file_must_exist_parse_and_hold_a_mapping(tmp_path, text, expected) -> None:
    path = tmp_path / "s.yaml"
    if text is not None:
        path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=expected):
        read_settings_file(path, "bot filter settings")


def test_an_empty_settings_file_is_an_empty_mapping(tmp_path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("# nothing changed\n", encoding="utf-8")
    assert read_settings_file(path, "feature spec") == {}
    path.write_text("a: {b: 1}\n", encoding="utf-8")
    assert read_settings_file(path, "feature spec") == {"a": {"b": 1}}
