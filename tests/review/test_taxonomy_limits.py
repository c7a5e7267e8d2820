"""A hostile taxonomy file is a TaxonomyError with FILE:LINE, never a crash (issue 12).

A taxonomy nested 3,000 levels used to raise RecursionError from the TOML
parser: the app crashed at start instead of showing the taxonomy dialog.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from review import taxonomy
from review.taxonomy import TaxonomyError

BUNDLED_START = "version = 1\n"


@pytest.mark.parametrize(("nested", "line"), [
    pytest.param("x = " + "[" * 3000 + "]" * 3000, 3, id="arrays"),
    pytest.param("x = " + "{a = " * 3000 + "1" + "}" * 3000, 3, id="inline-tables"),
    pytest.param("x = [\n" + "[" * 40 + "]" * 40 + "\n]", 4, id="on-a-later-line"),
])
def test_a_taxonomy_nested_thousands_of_levels_is_refused_with_its_line(tmp_path, nested, line):
    path = tmp_path / "taxonomy.toml"
    path.write_text(BUNDLED_START + "\n" + nested + "\n", encoding="utf-8")
    with pytest.raises(TaxonomyError) as error:
        taxonomy.load(path)
    assert error.value.line == line
    assert str(error.value).startswith(f"{path}:{line}: arrays and tables nested more than 32 levels deep")


def test_brackets_in_strings_and_comments_are_not_nesting(tmp_path):
    bundled = taxonomy.load()
    text = Path(bundled.source).read_text(encoding="utf-8") + "\n# " + "[" * 100 + "\n"
    text = text.replace('description = "', 'description = "' + "{[" * 100 + '\\" ', 1)
    path = tmp_path / "taxonomy.toml"
    path.write_text(text, encoding="utf-8")
    assert [a.id for a in taxonomy.load(path).actions] == [a.id for a in bundled.actions]


def test_deep_dotted_keys_are_a_taxonomy_error_too(tmp_path):
    path = tmp_path / "taxonomy.toml"
    path.write_text(BUNDLED_START + "a." * 3000 + "b = 1\n", encoding="utf-8")
    with pytest.raises(TaxonomyError) as error:
        taxonomy.load(path)
    assert all(line is not None for line, _ in error.value.problems)
