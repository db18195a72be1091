"""Which chart rendered an object, as Helm's output says it: a byte-order mark does not hide it."""

from __future__ import annotations

from runai_postrender.pipeline import run
from tests.conftest import LARGE, THANOS_QUERY

BOM = "\ufeff".encode()


def test_a_document_whose_source_comment_follows_a_byte_order_mark_is_sized() -> None:
    # Two rendered files joined: the second starts with `---`, then a BOM, then Helm 3's `# Source:` line.
    first = b"---\n# Source: other/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n"
    second = THANOS_QUERY.replace(b"---\n", b"---\n" + BOM, 1)
    result = run(first + second, LARGE)
    assert [entry.target for entry in result.report.changes][:1] == [
        "document 2 (Deployment/runai-backend-thanos-query)"
    ]
    assert not any("no Run:ai release" in note for note in result.report.notes)
