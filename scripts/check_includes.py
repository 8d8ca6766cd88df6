#!/usr/bin/env python3
"""check_includes.py — the include graph of driftd's C sources obeys the rooms.

Two rules, both checked on every `#include "..."` of the project's own files:

1. No cycles.  A module is a file name without its extension (`server/store/events`
   for events.c + events.h); an edge a -> b means a's .c or .h includes b's header.
   Any strongly connected set of two or more modules is a cycle.
2. Folders in order.  A file in room R may include headers only from the rooms R is
   allowed to depend on (ROOMS below); anything else is a dependency pointing the
   wrong way.  CMake links the same order (one library per room), so most wrong
   includes also fail to link; this check names the line.

Usage: check_includes.py [ROOT]   (default: the repository holding this script)
Exit status 0 when clean, 1 with one line per problem.
"""
import os
import re
import sys

# room -> rooms it may include from (itself always allowed).  The deepest
# matching room of a path wins ("server/api" before "server").
ROOMS = {
    "base": [],
    "ingest": ["base"],
    "analysis": ["base"],
    "server/store": ["base", "ingest", "analysis"],  # it stores reports (analysis/eval.h)
    "server/notify": ["base"],
    "server/http": ["base"],
    "server/monitor": ["base", "ingest", "analysis", "server/store", "server/notify"],
    "server/api": ["base", "ingest", "analysis", "server/store", "server/notify",
                   "server/monitor", "server/http"],
    "server": ["base", "ingest", "analysis", "server/store", "server/notify",
               "server/monitor", "server/http", "server/api"],
}
SOURCE_ROOTS = ("base", "ingest", "analysis", "server")
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def room_of(path):
    best = None
    for room in ROOMS:
        if path == room or path.startswith(room + "/"):
            if best is None or len(room) > len(best):
                best = room
    return best


def scan(root):
    """{file: [(line_no, included_path)]} for every .c/.h under SOURCE_ROOTS."""
    files = {}
    for top in SOURCE_ROOTS:
        for dirpath, _, names in os.walk(os.path.join(root, top)):
            for n in sorted(names):
                if not n.endswith((".c", ".h")):
                    continue
                full = os.path.join(dirpath, n)
                rel = os.path.relpath(full, root).replace(os.sep, "/")
                incs = []
                with open(full, encoding="utf-8", errors="replace") as f:
                    for i, line in enumerate(f, 1):
                        m = INCLUDE.match(line)
                        if m:
                            incs.append((i, m.group(1)))
                files[rel] = incs
    return files


def resolve(root, files, src, inc):
    """The project path an include names, or None for a system/foreign one."""
    for cand in (inc, os.path.normpath(os.path.join(os.path.dirname(src), inc))):
        cand = cand.replace(os.sep, "/")
        if cand in files:
            return cand
    return None


def sccs(graph):
    """Tarjan's strongly connected components (iterative)."""
    index, low, on, stack, out = {}, {}, set(), [], []
    counter = [0]
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter[0]
        counter[0] += 1
        stack.append(start)
        on.add(start)
        while work:
            v, it = work[-1]
            advanced = False
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(graph.get(w, ())))))
                    advanced = True
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                out.append(sorted(comp))
    return out


def check(root):
    files = scan(root)
    problems = []
    graph = {}
    for src, incs in sorted(files.items()):
        mod = src.rsplit(".", 1)[0]
        graph.setdefault(mod, set())
        src_room = room_of(src)
        for line, inc in incs:
            target = resolve(root, files, src, inc)
            if target is None:
                continue
            tmod = target.rsplit(".", 1)[0]
            if tmod != mod:
                graph[mod].add(tmod)
            troom = room_of(target)
            if src_room is None or troom is None:
                continue
            if troom != src_room and troom not in ROOMS[src_room]:
                problems.append(f"{src}:{line}: includes {inc} ({troom}), "
                                f"which {src_room}/ may not depend on")
    for comp in sccs(graph):
        if len(comp) > 1:
            problems.append("include cycle: " + " <-> ".join(comp))
    return problems


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(
        os.path.dirname(os.path.abspath(__file__)))
    problems = check(root)
    for p in problems:
        print(p)
    n = sum(len(v) for v in scan(root).values())
    print(f"check_includes: {n} includes, {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
