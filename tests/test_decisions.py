"""The decide stage returns plain decisions (what each rule changed, kept, added, and why); the report is
built from them once, after the stage."""

from __future__ import annotations

import textwrap
from pathlib import Path

from runai_postrender.documents.sniff import header
from runai_postrender.documents.stream import split_stream
from runai_postrender.profiles.load import load_profile
from runai_postrender.reading.load import load
from runai_postrender.report import Report
from runai_postrender.reporting import record
from runai_postrender.sizing import rules

STREAM = textwrap.dedent("""\
    apiVersion: v1
    kind: List
    items:
    - apiVersion: apps/v1
      kind: Deployment
      metadata: {name: api, namespace: ns}
      spec:
        replicas: 3
        selector: {matchLabels: {app: api}}
        template:
          metadata: {labels: {app: api}}
          spec:
            containers:
            - {name: app, image: a, resources: {requests: {cpu: 100m}}}
    ---
    apiVersion: autoscaling/v2
    kind: HorizontalPodAutoscaler
    metadata: {name: api, namespace: ns}
    spec:
      scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}
      minReplicas: 1
      maxReplicas: 2
    """).encode()


def test_the_decide_stage_returns_decisions_and_the_report_is_built_from_them(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(
        textwrap.dedent("""\
            rules:
            - name: api
              match: {kind: Deployment, name: api}
              autoscale: {minReplicas: 2, maxReplicas: 6, cpuUtilization: 70}
              availability: {}
            - name: nothing
              match: {kind: Deployment, name: absent}
              set: {/spec/replicas: 2}
            """)
    )
    profile = load_profile(str(path))
    documents = [load(STREAM, span, header(STREAM, span).kind) for span in split_stream(STREAM)]
    outcome = rules.apply_rules(profile, documents)

    assert outcome.unmatched == ["nothing"]
    hpa, workload, available = outcome.decisions
    assert (hpa.rule, hpa.target) == ("api", "document 2 (HorizontalPodAutoscaler/api)")
    assert [(c.pointer, c.old, c.new) for c in hpa.changes][:2] == [
        ("/spec/minReplicas", 1, 3),  # never below the replicas the Deployment ran
        ("/spec/maxReplicas", 2, 6),
    ]
    assert workload.target.endswith("item /items/0 (Deployment/api)")
    # Pointers from the document's root; the field as people read it, from within the object.
    assert [(c.pointer, c.field) for c in workload.changes] == [("/items/0/spec/replicas", "spec/replicas")]
    assert [new.description for new in available.added] == ["PodDisruptionBudget/api"]
    assert outcome.added == available.added

    report = Report(profile=profile.name)
    record(outcome, report)
    assert [(entry.target, entry.pointer) for entry in report.changes] == [
        (decision.target, change.pointer) for decision in outcome.decisions for change in decision.changes
    ]
    assert report.added == [f"PodDisruptionBudget/api, filed with {workload.target} (rule api)"]
    assert report.unmatched == ["nothing"]
