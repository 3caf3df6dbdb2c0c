"""Entry point: ``python -m huddle_notes``."""

from huddle_shared.runtime import serve

from huddle_notes import SERVICE
from huddle_notes.bootstrap import bootstrap


def main() -> None:
    serve(SERVICE, bootstrap)


if __name__ == "__main__":
    main()
