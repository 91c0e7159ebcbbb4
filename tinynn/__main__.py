"""``python -m tinynn``: the same as the ``tinynn`` command."""

from tinynn.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
