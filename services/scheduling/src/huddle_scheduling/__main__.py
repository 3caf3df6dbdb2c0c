"""Entry point: ``python -m huddle_scheduling``."""

from huddle_shared.runtime import serve

from huddle_scheduling import SERVICE
from huddle_scheduling.bootstrap import bootstrap


def main() -> None:
    serve(SERVICE, bootstrap)


if __name__ == "__main__":
    main()
