"""Every bound runai-size puts on its input, in one place, and the check that trees stay within them.

Each limit is far above anything a real chart renders; it exists so that hostile or broken input ends in
one clean error instead of minutes of work or the machine's memory.
"""

from __future__ import annotations

from typing import Any

from runai_postrender.support.errors import InputError

# A stream of more documents than this is refused: each costs some 150 bytes and a few microseconds
# however small it is (a stream of bare `---` lines would take 40 times its size in memory), and no
# Helm release comes near.
MAX_DOCUMENTS = 1_000_000
# A targeted document whose aliases would expand past this many nodes is refused ("billion laughs"):
# walking or comparing it would take forever, and no real manifest comes near.
MAX_EXPANDED_NODES = 1_000_000
# Unsharing copies each aliased node to every place that uses it; a document whose aliases would need
# more copied nodes than this is refused as well (real manifests share a few small blocks, if any).
MAX_ALIAS_COPIES = 100_000
# Flow collections (`[` and `{`) nested deeper than this are refused before ruamel's scanner, whose cost
# grows with the square of the depth, spends seconds on them. Manifests nest a handful deep.
MAX_FLOW_DEPTH = 100
# A profile is a page of settings; one whose aliases expand past this many nodes is refused.
MAX_PROFILE_NODES = 100_000


def check_expansion(
    tree: Any, where: str, limit: int = MAX_EXPANDED_NODES, error: type[Exception] = InputError
) -> None:
    """Refuse a tree whose aliases expand past `limit` nodes, counting each shared node once."""
    sizes: dict[int, int] = {}

    def size(node: Any) -> int:
        if not isinstance(node, dict | list):
            return 1
        known = sizes.get(id(node))
        if known is not None:
            return known
        sizes[id(node)] = 1  # a node that contains itself counts once
        children = node.values() if isinstance(node, dict) else node
        total = 1
        for child in children:
            total += size(child)
            if total > limit:
                raise error(too_expanded(where, limit))
        sizes[id(node)] = total
        return total

    try:
        size(tree)
    except RecursionError as exc:
        raise error(f"{where}: nested too deeply to process" if where else "nested too deeply to process") from exc
    finally:
        sizes.clear()  # `size` refers to itself: a cycle that would keep the table until a collection


def too_expanded(where: str, limit: int = MAX_EXPANDED_NODES) -> str:
    prefix = f"{where}: " if where else ""
    return f"{prefix}its aliases expand to more than {limit:,} nodes (an alias bomb?); refused"
