"""small_pages turns NumPy's huge-page advice off inside and restores it after."""

import pytest

from rules.memory import _setter, small_pages


def test_small_pages_turns_the_advice_off_and_restores_it_also_on_errors():
    setter = _setter()
    assert setter is not None  # the pinned NumPy has the switch; losing it should be seen
    before = setter(True)
    try:
        with small_pages():
            assert setter(False) is False  # off inside (and left off)
        assert setter(True) is True  # back on after
        with pytest.raises(RuntimeError), small_pages():
            raise RuntimeError("boom")
        assert setter(True) is True
    finally:
        setter(before)
