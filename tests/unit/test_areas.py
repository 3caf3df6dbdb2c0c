import pytest
from huddle_shared.contracts.areas import (
    AREA_NAMES,
    REGION_OF_BOARD,
    AreaCode,
    IntegratedCareBoard,
    board_code,
    region_of_area,
)
from huddle_shared.contracts.membership import Region
from pydantic import TypeAdapter, ValidationError

pytestmark = pytest.mark.unit

AREA = TypeAdapter(AreaCode)


def test_every_board_lies_in_exactly_one_region_and_every_region_has_boards() -> None:
    assert set(REGION_OF_BOARD) == set(IntegratedCareBoard)
    assert len(IntegratedCareBoard) == 42
    assert set(REGION_OF_BOARD.values()) == set(Region)


def test_area_codes_name_england_regions_and_boards() -> None:
    assert AREA.validate_python("national") == "national"
    assert AREA.validate_python("region:north_west") == "region:north_west"
    assert region_of_area(board_code(IntegratedCareBoard.GREATER_MANCHESTER)) is Region.NORTH_WEST
    assert region_of_area("region:london") is Region.LONDON
    assert region_of_area("national") is None
    assert AREA_NAMES["icb:bristol-north-somerset-and-south-gloucestershire"] == (
        "Bristol, North Somerset and South Gloucestershire integrated care board"
    )


@pytest.mark.parametrize(
    "code", ["", "england", "region:wales", "icb:atlantis", "icb:", "REGION:london"]
)
def test_an_area_that_does_not_exist_is_refused(code: str) -> None:
    with pytest.raises(ValidationError, match="unknown area"):
        AREA.validate_python(code)
