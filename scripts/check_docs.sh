#!/usr/bin/env bash
# check_docs.sh — every link in the repository's Markdown resolves inside it.
#
# For each .md file git knows (tracked, or new and not ignored), every inline
# link or image `[text](target)` and every reference definition `[id]: target`
# outside code (fenced blocks and `code spans` are skipped) must be either
#   - a URL (http://, https://, mailto:), which is not fetched, or
#   - a same-file anchor (#heading), or
#   - a relative path that, resolved against the linking file's folder, stays
#     inside the repository and exists; with a #fragment into a .md file, that
#     file must have a heading with that anchor (GitHub's slug rules).
# An absolute path (/x, file://) or one that leaves the repository
# (../elsewhere/NOTES.md) fails, so that a fresh clone has no dead links.
#
# Usage: bash scripts/check_docs.sh [ROOT]   (default: this repository)
# Output: one "file:line: problem" per bad link; exit 0 clean, 1 otherwise.
set -uo pipefail
root=${1:-"$(cd "$(dirname "$0")/.." && pwd)"}
cd "$root" || exit 2

exec python3 - "$root" <<'PY'
import os
import re
import subprocess
import sys

root = os.path.realpath(sys.argv[1])

def md_files():
    out = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", "*.md"],
        cwd=root, capture_output=True, check=True).stdout.decode()
    return sorted({p for p in out.split("\0") if p and os.path.isfile(os.path.join(root, p))})

FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
CODE_SPAN = re.compile(r"(`+)(.+?)\1")
# [text](target) or ![alt](target); text may hold one level of [..] (badges)
INLINE = re.compile(r"!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*(<[^>]*>|[^\s()]*(?:\([^\s()]*\)[^\s()]*)*)(?:\s+(?:\"[^\"]*\"|'[^']*'|\([^)]*\)))?\s*\)")
REFDEF = re.compile(r"^ {0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)")
HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$")


def lines_outside_code(text):
    """(line number, line with code spans blanked) for lines outside fences."""
    fence = None
    for n, line in enumerate(text.split("\n"), 1):
        m = FENCE.match(line)
        if m:
            mark = m.group(1)
            if fence is None:
                fence = mark[0] * len(mark)
            elif mark[0] == fence[0] and len(mark) >= len(fence):
                fence = None
            continue
        if fence is None:
            yield n, CODE_SPAN.sub(lambda s: " " * len(s.group(0)), line)


def slug(heading):
    """GitHub's anchor for a heading text."""
    h = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link keeps its text
    h = h.strip().lower()
    h = re.sub(r"[^\w\- ]", "", h)  # drops punctuation, keeps letters, digits, _ and -
    return h.replace(" ", "-")


_anchors = {}


def anchors(path):
    if path not in _anchors:
        seen, found = {}, set()
        with open(path, encoding="utf-8") as f:
            text = f.read()
        fence = None
        for line in text.split("\n"):
            m = FENCE.match(line)
            if m:
                fence = None if fence else m.group(1)
                continue
            if fence:
                continue
            m = HEADING.match(line)
            if not m:
                continue
            s = slug(m.group(2))
            k = seen.get(s, 0)
            seen[s] = k + 1
            found.add(s if k == 0 else "%s-%d" % (s, k))
        for m in re.finditer(r"<a\s+(?:name|id)=\"([^\"]+)\"", text):
            found.add(m.group(1))
        _anchors[path] = found
    return _anchors[path]


def check(rel, n, target, problems):
    if target.startswith("<") and target.endswith(">"):
        target = target[1:-1]
    if not target or re.match(r"^(https?|mailto):", target, re.I):
        return
    path, _, frag = target.partition("#")
    here = os.path.join(root, rel)
    if not path:
        if frag and frag not in anchors(here):
            problems.append("%s:%d: no heading for anchor '#%s' in this file" % (rel, n, frag))
        return
    if re.match(r"^[a-z][a-z0-9+.-]*:", path, re.I) or path.startswith("/"):
        problems.append("%s:%d: '%s' is not a path inside the repository" % (rel, n, target))
        return
    path = re.sub(r"%20", " ", path)
    full = os.path.normpath(os.path.join(os.path.dirname(here), path))
    if os.path.commonpath([root, os.path.realpath(full)]) != root:
        problems.append("%s:%d: '%s' points outside the repository" % (rel, n, target))
        return
    if not os.path.exists(full):
        problems.append("%s:%d: '%s' does not exist" % (rel, n, target))
        return
    if frag and full.endswith(".md") and os.path.isfile(full) and frag not in anchors(full):
        problems.append("%s:%d: '%s' has no heading for anchor '#%s'" % (rel, n, path, frag))


problems = []
files = md_files()
links = 0
for rel in files:
    with open(os.path.join(root, rel), encoding="utf-8") as f:
        text = f.read()
    for n, line in lines_outside_code(text):
        targets = [m.group(1) for m in INLINE.finditer(line)]
        m = REFDEF.match(line)
        if m:
            targets.append(m.group(1))
        for t in targets:
            links += 1
            check(rel, n, t, problems)

for p in problems:
    print(p)
if problems:
    print("check_docs: %d bad link(s) in %d Markdown files" % (len(problems), len(files)))
    sys.exit(1)
print("check_docs: %d links in %d Markdown files, all inside the repository and existing"
      % (links, len(files)))
PY
