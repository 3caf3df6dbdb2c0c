"""Entry point: ``python -m huddle_signposting``."""

from huddle_shared.runtime import serve

from huddle_signposting import SERVICE
from huddle_signposting.bootstrap import bootstrap


def main() -> None:
    serve(SERVICE, bootstrap)


if __name__ == "__main__":
    main()
