"""Job arguments the way Glue passes them (`--name value` pairs), without depending on the awsglue library."""

from __future__ import annotations


class MissingJobArgument(ValueError):
    pass


def resolve_args(argv: list[str], names: list[str], optional: tuple[str, ...] = ()) -> dict[str, str]:
    """Like awsglue.utils.getResolvedOptions: every name is required, `optional` ones default to ""; unknown
    arguments are ignored."""
    values: dict[str, str] = {}
    i = 0
    while i < len(argv):
        token = argv[i]
        if token.startswith("--"):
            key, eq, value = token[2:].partition("=")
            if not eq:
                value = argv[i + 1] if i + 1 < len(argv) else ""
                i += 1
            values[key] = value
        i += 1
    missing = [n for n in names if n not in values]
    if missing:
        raise MissingJobArgument(f"missing job arguments: {', '.join('--' + n for n in missing)}")
    return {**{n: values.get(n, "") for n in optional}, **{n: values[n] for n in names}}
