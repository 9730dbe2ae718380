import pytest

from onegrid.cases.models import Case, CaseClass
from onegrid.core import columns


def test_a_character_columns_bound_is_its_max_length():
    assert columns.max_length(CaseClass, "code") == CaseClass._meta.get_field("code").max_length


def test_a_column_without_a_bound_is_a_programming_error():
    with pytest.raises(TypeError, match="Case.description has no max_length"):
        columns.max_length(Case, "description")
