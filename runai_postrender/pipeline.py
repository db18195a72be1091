"""The pure core: a manifest stream and a profile in, the output stream's pieces and a report out.

stream -> spans -> (sniff) targeted documents -> rules -> patched and added documents -> pieces.
Nothing here does I/O; the CLI writes the pieces only once `run` has returned without an error.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from runai_postrender import autoscale, select, sniff, targets
from runai_postrender.autoscale import NewDocument
from runai_postrender.document import Document
from runai_postrender.errors import InputError, PatchError, describe, yaml_type
from runai_postrender.patch import Change, apply_operation, expand, set_value
from runai_postrender.profiles import Profile, Rule
from runai_postrender.report import Entry, Report
from runai_postrender.stream import Span, split_stream

# C0 control characters other than tab, LF and CR, and DEL: YAML allows none of them in a stream.
_BINARY = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_GLOB = re.compile(r"[*?\[]")


@dataclass
class Result:
    """The output as pieces to write in order (views of the input where nothing changed), and the report."""

    pieces: list[bytes | memoryview]
    report: Report
    changed: list[tuple[str, bytes, bytes]]  # (document, before, after) for each changed or added document


def run(data: bytes | bytearray, profile: Profile, report: Report | None = None) -> Result:
    """Apply `profile` to the stream `data`. The caller may hand in the report to fill: after an error it
    still holds what the run had found (the caller owns it and writes it)."""
    report = report if report is not None else Report(profile=profile.name)
    spans = split_stream(data)
    report.documents = len(spans)
    _check_text(data, spans)
    finder = _Finder.of(profile)
    targeted = [doc for doc in (_parse_if_targeted(data, span, finder) for span in spans) if doc is not None]
    added = _apply_rules(profile, targeted, report)
    rendered = {doc.index: targets.render(doc) for doc in targeted if doc.changed}
    new_texts = [(new, new.text) for new in added]  # rendered once the last rule is through with them
    changed = [(doc.describe(), doc.original, rendered[doc.index]) for doc in targeted if doc.changed]
    changed += [(f"new {new.description}", b"", text) for new, text in new_texts]
    return Result(_assemble(data, spans, rendered, new_texts), report, changed)


def _span_at(spans: list[Span], offset: int) -> Span:
    return spans[bisect_right([span.start for span in spans], offset) - 1]


def _check_text(data: bytes | bytearray, spans: list[Span]) -> None:
    """Refuse binary data and invalid UTF-8 anywhere in the stream, naming the document."""
    binary = _BINARY.search(data)
    if binary is not None:
        span = _span_at(spans, binary.start())
        raise InputError(
            f"{_describe_span(data, span)}: byte {binary.start()} is control character "
            f"0x{data[binary.start()]:02x}; the input is binary data, not a YAML stream"
        )
    if data.isascii():
        return
    for span in spans:
        try:
            bytes(data[span.start : span.end]).decode("utf-8")
        except UnicodeDecodeError as exc:
            where = _describe_span(data, span)
            raise InputError(f"{where}: not valid UTF-8 text (byte {span.start + exc.start})") from exc


def _describe_span(data: bytes | bytearray, span: Span) -> str:
    """A document named by number, and by kind and name where its bytes tell them."""
    kind = name = None
    if sniff.is_regular(data, span.start, span.end):
        sniffed = sniff.sniff_kind(data, span.start, span.end)
        kind = None if sniffed == sniff.UNKNOWN else sniffed
        metadata = sniff.sniff_metadata(data, span.start, span.end)
        if isinstance(metadata, tuple):
            name = metadata[0]
    return describe(span.index, kind, name)


@dataclass(frozen=True)
class _Finder:
    """What to look for in a stream, worked out once per run from the profile's rules."""

    rules: tuple[Rule, ...]
    kinds: frozenset[str]  # kinds written out in full
    patterns: tuple[str, ...]  # kinds given as globs
    spelled: tuple[bytes, ...]  # every kind as bytes, when none is a glob

    @classmethod
    def of(cls, profile: Profile) -> _Finder:
        kinds = [kind for rule in profile.rules for kind in rule.match.kinds]
        if any(rule.autoscale for rule in profile.rules):
            kinds.append(select.HPA_KIND)
        if kinds:
            kinds.append("List")
        patterns = tuple(kind for kind in kinds if _GLOB.search(kind))
        spelled = () if patterns else tuple(kind.encode() for kind in dict.fromkeys(kinds))
        return cls(profile.rules, frozenset(kinds) - set(patterns), patterns, spelled)

    def wants_kind(self, kind: str) -> bool:
        return kind in self.kinds or any(fnmatchcase(kind, pattern) for pattern in self.patterns)

    def may_hold_a_kind(self, data: bytes | bytearray, start: int, end: int) -> bool:
        """Whether an unsniffable document could be of a wanted kind at all: it must spell one, or escape."""
        if not self.spelled or data.find(b"\\", start, end) >= 0:
            return True
        return any(data.find(kind, start, end) >= 0 for kind in self.spelled)


def _parse_if_targeted(data: bytes | bytearray, span: Span, finder: _Finder) -> Document | None:
    """Parse a document only if a rule may target it; most are decided from their bytes alone."""
    if not finder.rules:
        return None
    start, end = span.start, span.end
    if start == 0 and data.startswith(b"\xef\xbb\xbf"):
        start = 3
    kind = sniff.sniff_kind(data, start, end) if sniff.is_regular(data, start, end) else sniff.UNKNOWN
    name = None
    if kind is None:
        return None  # a regular document without a kind is no Kubernetes object
    if kind == sniff.UNKNOWN:
        if not finder.may_hold_a_kind(data, start, end):
            return None  # whatever it is, none of the kinds we look for is even spelled in it
    else:
        if not finder.wants_kind(kind):
            return None
        if kind not in (select.HPA_KIND, "List"):
            metadata = sniff.sniff_metadata(data, start, end)
            if isinstance(metadata, tuple):
                name, namespace = metadata
                if not any(select.could_match(rule.match, kind, name, namespace) for rule in finder.rules):
                    return None
    parsed = targets.load(data, span.start, span.end, span.index, None if kind == sniff.UNKNOWN else kind, name)
    if isinstance(parsed.tree, dict):
        parsed.kind = _str(parsed.tree.get("kind"))
        metadata_tree = parsed.tree.get("metadata")
        if isinstance(metadata_tree, dict):
            parsed.name = _str(metadata_tree.get("name"))
    return parsed


def _str(value: object) -> str | None:
    return None if value is None else str(value)


def _apply_rules(profile: Profile, targeted: list[Document], report: Report) -> list[NewDocument]:
    resources = [resource for doc in targeted for resource in select.resources_of(doc)]
    hpas: dict[tuple[str | None, str], select.Resource | NewDocument] = {}
    for resource in resources:
        if resource.kind == select.HPA_KIND:
            target = autoscale.hpa_target(resource)
            if target is not None:
                hpas.setdefault(target, resource)
    added: list[NewDocument] = []
    for rule in profile.rules:
        matched = [resource for resource in resources if select.matches(rule.match, resource)]
        if not matched:
            report.unmatched.append(rule.name)
        for resource in matched:
            changes = _apply_rule(rule, resource, hpas, added, report)
            if changes:
                resource.document.changed = True
                report.changes.extend(
                    Entry(rule.name, resource.describe(), c.pointer, c.old, c.new, c.field) for c in changes
                )
    return added


def _apply_rule(
    rule: Rule,
    resource: select.Resource,
    hpas: dict[tuple[str | None, str], select.Resource | NewDocument],
    added: list[NewDocument],
    report: Report,
) -> list[Change]:
    where = f"rule {rule.name!r}: {resource.describe()}"
    if not isinstance(resource.obj.get("spec", {}), dict | type(None)):
        raise PatchError(f"{where}: spec is {yaml_type(resource.obj['spec'])}, not a mapping")
    changes: list[Change] = []
    objects: list[tuple[str, Any]] = [("", resource.obj)]  # the resource, or the containers the rule names
    if rule.containers:
        objects, missing = select.containers(resource, rule.containers, rule.name)
        for name in missing:
            report.notes.append(f"rule {rule.name!r}: {resource.describe()} has no container {name!r}")
    for prefix, obj in objects:
        label = f"container {obj['name']}: " if prefix else ""
        found: list[Change] = []
        for pointer, value in rule.set.items():
            for path in expand(obj, pointer, where):
                found += set_value(obj, path, value, where)
        for operation in rule.patch:
            found += apply_operation(obj, dict(operation), where)
        changes += [Change(prefix + c.pointer, c.old, c.new, c.op, label + c.pointer.lstrip("/")) for c in found]
    if rule.autoscale is not None:
        key = (resource.namespace, str(resource.name))
        existing = hpas.get(key)
        if existing is not None:
            if isinstance(existing, NewDocument):  # added by an earlier rule, or for a twin of this Deployment
                hpa, label = select.Resource(resource.document, "", existing.tree), f"new {existing.description}"
            else:
                hpa, label = existing, existing.describe()
            hpa_changes = autoscale.patch_hpa(hpa, rule.autoscale, f"rule {rule.name!r}: {label}")
            if hpa_changes and not isinstance(existing, NewDocument):
                existing.document.changed = True
            report.changes.extend(
                Entry(rule.name, label, c.pointer, c.old, c.new, c.pointer.lstrip("/")) for c in hpa_changes
            )
        else:
            new = autoscale.new_hpa(resource, rule.autoscale)
            added.append(new)
            report.added.append(f"{new.description}, filed with {resource.describe()} (rule {rule.name})")
            hpas[key] = new  # later rules, and a second run, patch this one instead of adding another
        changes += autoscale.drop_replicas(resource, where)
    return [Change(resource.pointer + c.pointer, c.old, c.new, c.op, c.field or c.pointer.lstrip("/")) for c in changes]


def _assemble(
    data: bytes | bytearray, spans: list[Span], rendered: dict[int, bytes], added: list[tuple[NewDocument, bytes]]
) -> list[bytes | memoryview]:
    """The output in order: untouched runs of the input as views, rendered documents, added documents."""
    view = memoryview(data)
    extra: dict[int, list[tuple[NewDocument, bytes]]] = {}
    for new, text in added:
        extra.setdefault(new.after, []).append((new, text))
    pieces: list[bytes | memoryview] = []
    run_start: int | None = None
    for span in spans:
        replacement = rendered.get(span.index)
        if replacement is None:
            if run_start is None:
                run_start = span.start
        else:
            if run_start is not None:
                pieces.append(view[run_start : span.start])
            pieces.append(replacement)
            run_start = None
        if span.index in extra:
            if run_start is not None:
                pieces.append(view[run_start : span.end])
                run_start = None
            ends_line = not pieces or bytes(pieces[-1][-1:]) in (b"", b"\n")
            following = spans[span.index] if span.index < len(spans) else None
            for new, text in extra[span.index]:
                newline = new.style.newline.encode()
                if not ends_line:
                    text = newline + text
                if following is not None and not data.startswith(b"---", following.start):
                    # The next document has no `---` of its own (it follows a `...`): end ours first.
                    text += b"..." + newline
                pieces.append(text)
                ends_line = True
    if run_start is not None:
        pieces.append(view[run_start:])
    return pieces
