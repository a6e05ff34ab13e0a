import pytest

from tests.factories import make_menu


@pytest.fixture
def a():
    """Restaurant a (甲店) with its menu and tables 1 and 2."""
    return make_menu("a", "甲店")


@pytest.fixture
def b():
    """Restaurant b (乙店), the other one."""
    return make_menu("b", "乙店")
