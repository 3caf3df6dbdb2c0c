"""Entry point: ``python -m huddle_insights``."""

from huddle_shared.runtime import serve

from huddle_insights import SERVICE
from huddle_insights.bootstrap import bootstrap


def main() -> None:
    serve(SERVICE, bootstrap)


if __name__ == "__main__":
    main()
