#!/usr/bin/env bash
# test_architecture.sh - the folders of src/ and the arrows allowed
# between them (docs/architecture.md): every `#include "..."` of a source
# file is an arrow from its component to the included file's; an arrow
# must go down the layers, or stay inside one component.  The arrows the
# tree still has against the picture are listed in docs/architecture.md
# ("Arrows still against the picture"): one that is not listed fails, and
# so does a listed one that is gone (take it off the list).
source "$(dirname "$0")/lib.sh"

python3 - "$SRC_DIR" > "$WORK/arch.out" <<'EOF'
import os, re, sys
root = sys.argv[1]
src = os.path.join(root, "src")
# lowest first; components of one layer are siblings: no arrows between them
LAYERS = [
    ["util"],
    ["decode"],
    ["conf"],
    ["db"],
    ["sink"],
    ["capture"],
    ["store", "audit", "monitor", "stream"],
    ["control", "sync", "label", "stats"],
    ["main"],
]
layer_of = {c: i for i, l in enumerate(LAYERS) for c in l}

def component(path):
    rel = os.path.relpath(path, src)
    parts = rel.split(os.sep)
    if len(parts) == 1:
        return "main" if parts[0] == "main.c" else parts[0]
    return parts[0]

arrows = set()
unknown = set()
for d, _, files in os.walk(src):
    for f in files:
        if not f.endswith((".c", ".h")):
            continue
        p = os.path.join(d, f)
        a = component(p)
        if a not in layer_of:
            unknown.add(a)
        for m in re.finditer(r'^\s*#\s*include\s+"([^"]+)"', open(p, errors="replace").read(), re.M):
            t = os.path.normpath(os.path.join(d, m.group(1)))
            if not t.startswith(src + os.sep) or not os.path.exists(t):
                continue  # generated headers (protobuf) live in the build tree
            b = component(t)
            if b not in layer_of:
                unknown.add(b)
            if a != b:
                arrows.add((a, b, os.path.relpath(p, root), m.group(1)))

doc = open(os.path.join(root, "docs", "architecture.md")).read()
section = doc.split("## Arrows still against the picture", 1)[1].split("\n## ", 1)[0]
listed = set(re.findall(r"^- `(\w+) -> (\w+)`", section, re.M))

status = 0
for c in sorted(unknown):
    print(f"src/{c}: a folder the picture does not place (docs/architecture.md)")
    status = 1
against = set()
for a, b, path, inc in sorted(arrows):
    if a in layer_of and b in layer_of and layer_of[a] <= layer_of[b]:
        against.add((a, b))
        if (a, b) not in listed:
            print(f"{path}: #include \"{inc}\": {a} -> {b} goes against the layers (docs/architecture.md)")
            status = 1
for a, b in sorted(listed - against):
    print(f"{a} -> {b} is listed in docs/architecture.md but no longer in the tree: take it off the list")
    status = 1
print(f"arrows: {len(set((a, b) for a, b, _, _ in arrows))}, against the layers: {len(against)} (all listed)"
      if status == 0 else "")
sys.exit(status)
EOF
rc=$?
cat "$WORK/arch.out"
check "every #include follows docs/architecture.md" 0 "$rc"

# the checker sees a new arrow: a sink that includes a sibling
mkdir -p "$WORK/tree/src/store" "$WORK/tree/src/audit" "$WORK/tree/docs"
cp "$SRC_DIR/docs/architecture.md" "$WORK/tree/docs/"
echo '#include "../audit/x.h"' > "$WORK/tree/src/store/y.c"
echo '' > "$WORK/tree/src/audit/x.h"
sed -n '/^python3 - "\$SRC_DIR"/,/^EOF$/p' "$0" | sed '1d;$d' > "$WORK/checker.py"
python3 "$WORK/checker.py" "$WORK/tree" > "$WORK/planted.out" 2>&1
check "a planted store -> audit include fails" 1 $?
grep -q 'store/y.c: #include "../audit/x.h": store -> audit' "$WORK/planted.out" && pass ||
  fail "the planted arrow is not named: $(cat "$WORK/planted.out")"
finish
