"""The areas a service covers or a need is in: England as a whole, one of NHS England's seven
regions, or one of the 42 integrated care boards (as set up in July 2022).

An area travels as one code: ``national``, ``region:<region>`` or ``icb:<board>``, so that a
query string, a form field and an event carry it alike. Which area matches which is
signposting's rule (its domain); this module only names the areas and says where each board
is.
"""

from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator

from huddle_shared.contracts.membership import Region

NATIONAL = "national"
REGION_PREFIX = "region:"
ICB_PREFIX = "icb:"


class IntegratedCareBoard(StrEnum):
    NORTH_EAST_AND_NORTH_CUMBRIA = "north-east-and-north-cumbria"
    HUMBER_AND_NORTH_YORKSHIRE = "humber-and-north-yorkshire"
    SOUTH_YORKSHIRE = "south-yorkshire"
    WEST_YORKSHIRE = "west-yorkshire"
    CHESHIRE_AND_MERSEYSIDE = "cheshire-and-merseyside"
    GREATER_MANCHESTER = "greater-manchester"
    LANCASHIRE_AND_SOUTH_CUMBRIA = "lancashire-and-south-cumbria"
    BIRMINGHAM_AND_SOLIHULL = "birmingham-and-solihull"
    BLACK_COUNTRY = "black-country"
    COVENTRY_AND_WARWICKSHIRE = "coventry-and-warwickshire"
    DERBY_AND_DERBYSHIRE = "derby-and-derbyshire"
    HEREFORDSHIRE_AND_WORCESTERSHIRE = "herefordshire-and-worcestershire"
    LEICESTER_LEICESTERSHIRE_AND_RUTLAND = "leicester-leicestershire-and-rutland"
    LINCOLNSHIRE = "lincolnshire"
    NORTHAMPTONSHIRE = "northamptonshire"
    NOTTINGHAM_AND_NOTTINGHAMSHIRE = "nottingham-and-nottinghamshire"
    SHROPSHIRE_TELFORD_AND_WREKIN = "shropshire-telford-and-wrekin"
    STAFFORDSHIRE_AND_STOKE_ON_TRENT = "staffordshire-and-stoke-on-trent"
    BEDFORDSHIRE_LUTON_AND_MILTON_KEYNES = "bedfordshire-luton-and-milton-keynes"
    CAMBRIDGESHIRE_AND_PETERBOROUGH = "cambridgeshire-and-peterborough"
    HERTFORDSHIRE_AND_WEST_ESSEX = "hertfordshire-and-west-essex"
    MID_AND_SOUTH_ESSEX = "mid-and-south-essex"
    NORFOLK_AND_WAVENEY = "norfolk-and-waveney"
    SUFFOLK_AND_NORTH_EAST_ESSEX = "suffolk-and-north-east-essex"
    NORTH_CENTRAL_LONDON = "north-central-london"
    NORTH_EAST_LONDON = "north-east-london"
    NORTH_WEST_LONDON = "north-west-london"
    SOUTH_EAST_LONDON = "south-east-london"
    SOUTH_WEST_LONDON = "south-west-london"
    BUCKINGHAMSHIRE_OXFORDSHIRE_AND_BERKSHIRE_WEST = (
        "buckinghamshire-oxfordshire-and-berkshire-west"
    )
    FRIMLEY = "frimley"
    HAMPSHIRE_AND_ISLE_OF_WIGHT = "hampshire-and-isle-of-wight"
    KENT_AND_MEDWAY = "kent-and-medway"
    SURREY_HEARTLANDS = "surrey-heartlands"
    SUSSEX = "sussex"
    BATH_NORTH_EAST_SOMERSET_SWINDON_AND_WILTSHIRE = (
        "bath-north-east-somerset-swindon-and-wiltshire"
    )
    BRISTOL_NORTH_SOMERSET_AND_SOUTH_GLOUCESTERSHIRE = (
        "bristol-north-somerset-and-south-gloucestershire"
    )
    CORNWALL_AND_THE_ISLES_OF_SCILLY = "cornwall-and-the-isles-of-scilly"
    DEVON = "devon"
    DORSET = "dorset"
    GLOUCESTERSHIRE = "gloucestershire"
    SOMERSET = "somerset"


_ICB = IntegratedCareBoard
_BOARDS_BY_REGION: dict[Region, tuple[IntegratedCareBoard, ...]] = {
    Region.NORTH_EAST_AND_YORKSHIRE: (
        _ICB.NORTH_EAST_AND_NORTH_CUMBRIA,
        _ICB.HUMBER_AND_NORTH_YORKSHIRE,
        _ICB.SOUTH_YORKSHIRE,
        _ICB.WEST_YORKSHIRE,
    ),
    Region.NORTH_WEST: (
        _ICB.CHESHIRE_AND_MERSEYSIDE,
        _ICB.GREATER_MANCHESTER,
        _ICB.LANCASHIRE_AND_SOUTH_CUMBRIA,
    ),
    Region.MIDLANDS: (
        _ICB.BIRMINGHAM_AND_SOLIHULL,
        _ICB.BLACK_COUNTRY,
        _ICB.COVENTRY_AND_WARWICKSHIRE,
        _ICB.DERBY_AND_DERBYSHIRE,
        _ICB.HEREFORDSHIRE_AND_WORCESTERSHIRE,
        _ICB.LEICESTER_LEICESTERSHIRE_AND_RUTLAND,
        _ICB.LINCOLNSHIRE,
        _ICB.NORTHAMPTONSHIRE,
        _ICB.NOTTINGHAM_AND_NOTTINGHAMSHIRE,
        _ICB.SHROPSHIRE_TELFORD_AND_WREKIN,
        _ICB.STAFFORDSHIRE_AND_STOKE_ON_TRENT,
    ),
    Region.EAST_OF_ENGLAND: (
        _ICB.BEDFORDSHIRE_LUTON_AND_MILTON_KEYNES,
        _ICB.CAMBRIDGESHIRE_AND_PETERBOROUGH,
        _ICB.HERTFORDSHIRE_AND_WEST_ESSEX,
        _ICB.MID_AND_SOUTH_ESSEX,
        _ICB.NORFOLK_AND_WAVENEY,
        _ICB.SUFFOLK_AND_NORTH_EAST_ESSEX,
    ),
    Region.LONDON: (
        _ICB.NORTH_CENTRAL_LONDON,
        _ICB.NORTH_EAST_LONDON,
        _ICB.NORTH_WEST_LONDON,
        _ICB.SOUTH_EAST_LONDON,
        _ICB.SOUTH_WEST_LONDON,
    ),
    Region.SOUTH_EAST: (
        _ICB.BUCKINGHAMSHIRE_OXFORDSHIRE_AND_BERKSHIRE_WEST,
        _ICB.FRIMLEY,
        _ICB.HAMPSHIRE_AND_ISLE_OF_WIGHT,
        _ICB.KENT_AND_MEDWAY,
        _ICB.SURREY_HEARTLANDS,
        _ICB.SUSSEX,
    ),
    Region.SOUTH_WEST: (
        _ICB.BATH_NORTH_EAST_SOMERSET_SWINDON_AND_WILTSHIRE,
        _ICB.BRISTOL_NORTH_SOMERSET_AND_SOUTH_GLOUCESTERSHIRE,
        _ICB.CORNWALL_AND_THE_ISLES_OF_SCILLY,
        _ICB.DEVON,
        _ICB.DORSET,
        _ICB.GLOUCESTERSHIRE,
        _ICB.SOMERSET,
    ),
}

REGION_OF_BOARD: dict[IntegratedCareBoard, Region] = {
    board: region for region, boards in _BOARDS_BY_REGION.items() for board in boards
}

# The words people read: "Integrated care board" spelt out, never its acronym.
_SMALL_WORDS = {"and", "the", "of", "on"}


def _title(slug: str) -> str:
    words = slug.split("-")
    return " ".join(w if i and w in _SMALL_WORDS else w.capitalize() for i, w in enumerate(words))


REGION_NAMES: dict[Region, str] = {
    region: _title(region.value.replace("_", "-")) for region in Region
}
# Names with commas or hyphens that the slug cannot carry.
_BOARD_NAMES_SPELT: dict[IntegratedCareBoard, str] = {
    _ICB.STAFFORDSHIRE_AND_STOKE_ON_TRENT: "Staffordshire and Stoke-on-Trent",
    _ICB.SHROPSHIRE_TELFORD_AND_WREKIN: "Shropshire, Telford and Wrekin",
    _ICB.LEICESTER_LEICESTERSHIRE_AND_RUTLAND: "Leicester, Leicestershire and Rutland",
    _ICB.BEDFORDSHIRE_LUTON_AND_MILTON_KEYNES: "Bedfordshire, Luton and Milton Keynes",
    _ICB.BUCKINGHAMSHIRE_OXFORDSHIRE_AND_BERKSHIRE_WEST: (
        "Buckinghamshire, Oxfordshire and Berkshire West"
    ),
    _ICB.BATH_NORTH_EAST_SOMERSET_SWINDON_AND_WILTSHIRE: (
        "Bath and North East Somerset, Swindon and Wiltshire"
    ),
    _ICB.BRISTOL_NORTH_SOMERSET_AND_SOUTH_GLOUCESTERSHIRE: (
        "Bristol, North Somerset and South Gloucestershire"
    ),
}
BOARD_NAMES: dict[IntegratedCareBoard, str] = {
    board: _BOARD_NAMES_SPELT.get(board, _title(board.value)) for board in _ICB
}


def region_code(region: Region) -> str:
    return f"{REGION_PREFIX}{region.value}"


def board_code(board: IntegratedCareBoard) -> str:
    return f"{ICB_PREFIX}{board.value}"


AREA_NAMES: dict[str, str] = (
    {NATIONAL: "England (national)"}
    | {region_code(r): REGION_NAMES[r] for r in Region}
    | {board_code(b): f"{BOARD_NAMES[b]} integrated care board" for b in _ICB}
)


def known_area(code: str) -> str:
    if code not in AREA_NAMES:
        raise ValueError(
            f"unknown area {code!r}: use 'national', 'region:<region>' or 'icb:<board>'"
        )
    return code


AreaCode = Annotated[str, AfterValidator(known_area)]


def region_of_area(code: str) -> Region | None:
    """The region an area lies in (a region is in itself); None for ``national``."""
    if code.startswith(REGION_PREFIX):
        return Region(code.removeprefix(REGION_PREFIX))
    if code.startswith(ICB_PREFIX):
        return REGION_OF_BOARD[IntegratedCareBoard(code.removeprefix(ICB_PREFIX))]
    return None
