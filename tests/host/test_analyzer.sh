#!/bin/sh
# test_analyzer.sh - the carto-memmap command, end to end (TAP).
#
#   tests/host/test_analyzer.sh [CARTO_MEMMAP [MEMMAPS_DIR]]
#
# Run from the repository root (defaults: build/host/carto-memmap and
# tests/data/memmaps). For every real map: show, plan and their --json
# forms succeed and the JSON is valid; the SVG is well-formed XML
# (xmllint --noout) and renders (rsvg-convert). Bad inputs give
# "FILE:LINE: problem" on stderr, exit status 1 and nothing on stdout.
# A missing tool is a failure, never a skip. Ends with "N passed, N failed".

TOOL=${1:-build/host/carto-memmap}
MAPS=${2:-tests/data/memmaps}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/carto-analyzer.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT INT TERM

n=0
failed=0

check() {   # check DESCRIPTION COMMAND...: ok if the command succeeds
	desc=$1
	shift
	n=$((n + 1))
	if "$@" >"$TMP/check.out" 2>&1; then
		echo "ok $n - $desc"
	else
		failed=$((failed + 1))
		echo "not ok $n - $desc"
		sed 's/^/#   /' "$TMP/check.out" | head -20
	fi
}

echo "TAP version 13"

for t in "$TOOL" xmllint rsvg-convert python3; do
	check "tool available: $t" sh -c "command -v '$t' || test -x '$t'"
done

valid_json() {   # valid_json FILE
	python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$1"
}

# Succeeds with stdout non-empty and stderr empty.
runs_clean() {   # runs_clean OUTFILE ARGS...
	out=$1
	shift
	"$TOOL" "$@" >"$out" 2>"$TMP/err" || { echo "exit status $?"; cat "$TMP/err"; return 1; }
	test -s "$out" || { echo "empty output"; return 1; }
	test ! -s "$TMP/err" || { echo "stderr not empty:"; cat "$TMP/err"; return 1; }
}

is_png() {   # is_png FILE: starts with the PNG signature
	test "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a"
}

count=0
for f in "$MAPS"/*.txt; do
	[ -e "$f" ] || continue
	count=$((count + 1))
	b=$(basename "$f" .txt)
	check "$b: show" runs_clean "$TMP/show.txt" show "$f"
	check "$b: show --json is valid JSON" sh -c \
		"'$TOOL' show --json '$f' >'$TMP/show.json' && python3 -c 'import json,sys; json.load(open(sys.argv[1]))' '$TMP/show.json'"
	check "$b: plan" runs_clean "$TMP/plan.txt" plan "$f"
	check "$b: plan --no-1g --json: valid, no 1 GiB pages" sh -c \
		"'$TOOL' plan --no-1g --json '$f' >'$TMP/plan.json' && python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d[\"pages\"][\"1g\"] == 0 and not d[\"has_1g\"]' '$TMP/plan.json'"
	check "$b: svg" runs_clean "$TMP/$b.svg" svg "$f"
	check "$b: svg is well-formed XML" xmllint --noout "$TMP/$b.svg"
	check "$b: svg renders" sh -c "rsvg-convert -o '$TMP/$b.png' '$TMP/$b.svg' && test -s '$TMP/$b.png'"
	check "$b: rendered PNG" is_png "$TMP/$b.png"
	# every further map the file holds
	maps=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["maps"]))' "$TMP/show.json" 2>/dev/null || echo 1)
	i=2
	while [ "$i" -le "$maps" ]; do
		check "$b: map $i: show, plan, svg" sh -c \
			"'$TOOL' show --index $i '$f' >/dev/null && '$TOOL' plan --index $i '$f' >/dev/null && '$TOOL' svg --index $i '$f' | xmllint --noout -"
		i=$((i + 1))
	done
done

# The README's table lists every map ("| NAME.txt | ..."); each must be
# here, and nothing else.
listed=$(sed -n 's/^| \([^ |]*\.txt\) |.*/\1/p' "$MAPS/README.md" 2>/dev/null)
check "map list $MAPS/README.md lists maps" test -n "$listed"
for name in $listed; do
	check "listed map $MAPS/$name is readable" test -r "$MAPS/$name"
done
nlisted=$(echo "$listed" | grep -c .)
check "found the $nlisted listed maps in $MAPS ($count .txt files)" test "$count" -eq "$nlisted"

# ---- standard input, selection, usage ------------------------------------------
first=$(ls "$MAPS"/*.txt | head -1)
check "stdin: show - names <stdin>" sh -c "'$TOOL' show - <'$first' | grep -q '^carto-memmap show: <stdin>'"
check "stdin: no file argument reads stdin" sh -c "'$TOOL' plan <'$first' | grep -q 'direct map'"
check "--help exits 0" sh -c "'$TOOL' --help | grep -q 'usage: carto-memmap show'"
check "no command: exit 2" sh -c "'$TOOL'; test \$? -eq 2"
check "unknown option: exit 2" sh -c "'$TOOL' show --bogus '$first'; test \$? -eq 2"
check "--map and --index together: exit 2" sh -c "'$TOOL' show --map efi --index 1 '$first'; test \$? -eq 2"
check "--index past the maps: exit 1" sh -c "'$TOOL' show --index 9 '$first'; test \$? -eq 1"
check "--map of an absent kind: exit 1" sh -c "'$TOOL' show --map memattr '$first'; test \$? -eq 1"
check "missing file: exit 1" sh -c "'$TOOL' show '$TMP/nonexistent'; test \$? -eq 1"

# ---- bad inputs: exact FILE:LINE, exit 1, nothing on stdout ------------------
bad() {   # bad NAME LINE TEXT: carto-memmap must fail with NAME:LINE:
	printf '%b' "$3" >"$TMP/$1"
	for cmd in show plan svg; do
		"$TOOL" $cmd "$TMP/$1" >"$TMP/bad.out" 2>"$TMP/bad.err"
		st=$?
		[ "$st" -eq 1 ] || { echo "$cmd: exit status $st"; return 1; }
		[ ! -s "$TMP/bad.out" ] || { echo "$cmd: output on stdout:"; head -3 "$TMP/bad.out"; return 1; }
		grep -q "^$TMP/$1:$2: " "$TMP/bad.err" || { echo "$cmd: stderr:"; cat "$TMP/bad.err"; return 1; }
	done
}
check "bad 3.x line" bad b1.txt 2 'efi: mem00: type=7, attr=0xf, range=[0x0-0x1000) (0MB)\nefi: mem01: type=7, attr=0xq, range=[0x1000-0x2000) (0MB)\n'
check "bad 5.x type name" bad b2.txt 3 'x\ny\nefi: mem00: [Bogus|WB] range=[0x0-0xfff] (0MB)\n'
check "bad arm64 line" bad b3.txt 1 'efi:   0x000040000000-0x000047dfcfff Conventional\n'
check "bad Xen line" bad b4.txt 1 '(XEN)  0000000000000-0000000007fff type=x attr=000000000000000f\n'
check "bad e820 type" bad b5.txt 2 'BIOS-e820: [mem 0x0-0xfff] usable\nBIOS-e820: [mem 0x1000-0x1fff] weird\n'
check "bad shell pages" bad b6.txt 2 'Type       Start            End              # Pages          Attributes\nAvailable  0000000000000000-0000000000000FFF 0000000000000002 000000000000000F\n'
check "truncated Carto dump" bad b7.txt 3 'Carto memory map dump v1\ndescriptors: 3 of 48 bytes, version 1\n    0 Conventional(7) 0x0000000000000000 0x0000000000001000 1 4.0 KiB 0x000000000000000f\n'
check "log lines lost" bad b8.txt 2 'efi: mem00: type=7, attr=0xf, range=[0x0-0x1000) (0MB)\nefi: mem05: type=7, attr=0xf, range=[0x1000-0x2000) (0MB)\n'
check "no map at all" sh -c "printf 'hello\n' >'$TMP/b9.txt'; '$TOOL' show '$TMP/b9.txt' 2>'$TMP/b9.err' >'$TMP/b9.out'; test \$? -eq 1 && test ! -s '$TMP/b9.out' && grep -q 'no memory map found' '$TMP/b9.err'"

echo "1..$n"
echo "$((n - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]
