#!/bin/bash
# test_structure.sh - the rules of ARCHITECTURE.md, checked on the source:
#   - mm/ and base/ include only headers of include/ (they build three ways);
#   - no include cycle among the headers of kernel/ and include/;
#   - production kernel files reference no self-test symbol, and the kernel
#     links without kernel/selftest/ (the self-tests join through boot hooks);
#   - the page-table window is reached only through its module: no
#     "PT_WINDOW_BASE +" in code outside mm/ptwindow.c and memlayout.h;
#   - the EFI applications leave no symbol undefined (ld -shared allows
#     it; the firmware would jump through an unresolved address).
# Needs the kernel objects (make builds them first). Prints TAP; the last
# line is "N passed, N failed".
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
n=0 passed=0 failed=0
ok() { n=$((n + 1)); passed=$((passed + 1)); echo "ok $n - $1"; }
not_ok() {
	n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"
	[ -n "${2:-}" ] && printf '%s\n' "$2" | head -n 20 | sed 's/^/#   /'
	return 0
}
# sources PATTERN...: tracked files matching the shell patterns (every file
# of them outside a git checkout, e.g. an unpacked tarball).
sources() {
	if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		git ls-files "$@"
	else
		local p
		for p in "$@"; do find . -path "./$p" -type f | sed 's|^\./||'; done | sort -u
	fi
}
# code_lines FILE...: lines that are not comment lines (" *", "/*", "//").
code_lines() { grep -HnvE '^\s*(\*|/\*|//)' "$@"; }

# 1. mm/ and base/ reach only include/.
bad=$(for f in mm/*.c base/*.c; do
	sed -n 's/^#include "\(.*\)"/\1/p' "$f" | while read -r h; do
		[ -f "include/$h" ] || echo "$f includes \"$h\", not a header of include/"
	done
done)
if [ -z "$bad" ]; then ok "mm/ and base/ include only headers of include/"; else not_ok "mm/ and base/ include only headers of include/" "$bad"; fi

# 2. No include cycle among kernel/ and include/ headers and sources.
cycle=$(python3 - <<'PY'
import os, re, sys
dirs = ["kernel", "kernel/selftest", "include"]
files = {}
for d in dirs:
    for f in os.listdir(d):
        if f.endswith((".h", ".c")):
            files[os.path.join(d, f)] = open(os.path.join(d, f)).read()
def resolve(src, name):
    for d in [os.path.dirname(src)] + dirs:
        p = os.path.normpath(os.path.join(d, name))
        if p in files:
            return p
    return None
edges = {f: [r for n in re.findall(r'^#include "([^"]+)"', t, re.M)
             for r in [resolve(f, n)] if r] for f, t in files.items()}
# Sources depend on their own header's users only through headers: a cycle
# among .c files is a cycle of who-calls-whom, read as header -> header.
def unit(p):
    return p[:-2] if p.endswith((".c", ".h")) else p
graph = {}
for f, out in edges.items():
    graph.setdefault(unit(f), set()).update(unit(o) for o in out if unit(o) != unit(f))
state, stack = {}, []
def visit(u):
    state[u] = 1
    stack.append(u)
    for v in sorted(graph.get(u, ())):
        if state.get(v) == 1:
            print(" -> ".join(stack[stack.index(v):] + [v]))
            sys.exit(0)
        if v not in state:
            visit(v)
    stack.pop()
    state[u] = 2
for u in sorted(graph):
    if u not in state:
        visit(u)
PY
)
if [ -z "$cycle" ]; then ok "no include cycle among kernel/ and include/ units"; else not_ok "no include cycle among kernel/ and include/ units" "cycle: $cycle"; fi

# 3. Production kernel code names no self-test symbol ...
refs=$(code_lines kernel/*.c kernel/*.h kernel/*.S | grep -E '\b(selftest_[a-z_]+|ST_CHECK|SELFTEST|st_try_(read|write))\b|#include "selftest')
if [ -z "$refs" ]; then ok "production kernel files reference no self-test symbol"; else not_ok "production kernel files reference no self-test symbol" "$refs"; fi
# ... and links without kernel/selftest/.
# The objects of today's sources (build/ may hold stale ones of removed files).
objs=$(sources 'kernel/*.c' 'kernel/*.S' 'mm/*.c' 'base/*.c' | grep -v '^kernel/selftest/' |
	sed 's|^|build/kernel/|; s|$|.o|'; echo build/kernel/font.o)
missing=$(for o in $objs; do [ -f "$o" ] || echo "$o"; done)
if [ -n "$missing" ]; then
	not_ok "the kernel links without kernel/selftest/" "not built (run make first): $missing"
elif out=$(ld -nostdlib -static -z max-page-size=4096 -z noexecstack -T kernel/kernel.ld \
	-o build/kernel/kernel-noselftest.elf $objs 2>&1); then
	ok "the kernel links without kernel/selftest/ ($(echo "$objs" | wc -l) objects)"
else
	not_ok "the kernel links without kernel/selftest/" "$out"
fi

# 4. The window is reached through its module.
sums=$(code_lines $(sources '*.c' '*.h' | grep -v '^build/' | grep -vE '^(mm/ptwindow\.c|include/memlayout\.h|tests/)') |
	grep -F 'PT_WINDOW_BASE +')
if [ -z "$sums" ]; then ok "no \"PT_WINDOW_BASE +\" outside mm/ptwindow.c and memlayout.h"; else not_ok "no \"PT_WINDOW_BASE +\" outside mm/ptwindow.c and memlayout.h" "$sums"; fi

# 6. Each EFI application links everything it calls.
for so in build/efi/loader.so build/efi/memdump.so; do
	if [ ! -f "$so" ]; then
		not_ok "$so has no undefined symbols" "not built: run make first"
	elif und=$(nm -D --undefined-only "$so" 2>&1) && [ -z "$und" ]; then
		ok "$so has no undefined symbols"
	else
		not_ok "$so has no undefined symbols" "$und"
	fi
done

echo "1..$n"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
