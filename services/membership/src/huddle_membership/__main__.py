"""Entry point: ``python -m huddle_membership``."""

from huddle_shared.runtime import serve

from huddle_membership import SERVICE
from huddle_membership.bootstrap import bootstrap


def main() -> None:
    serve(SERVICE, bootstrap)


if __name__ == "__main__":
    main()
