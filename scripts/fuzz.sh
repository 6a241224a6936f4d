#!/bin/sh
# fuzz.sh - build the memory-map parser fuzz target and run it.
#
#   scripts/fuzz.sh [SECONDS]    fuzz for SECONDS (default 60), seeded with
#                                tests/data/memmaps, tests/fuzz-corpus and
#                                tests/fuzz-regressions; new inputs go to
#                                build/fuzz/corpus
#   scripts/fuzz.sh --acpi [SECONDS | --merge]
#                                the same for the ACPI table parser
#                                (tools/fuzz_acpi.c): seeded with the dumps of
#                                tests/data/acpi (in acpimem's binary form,
#                                tools/acpimem.h) and tests/fuzz-corpus-acpi;
#                                --merge keeps there what libFuzzer's -merge=1
#                                finds adds coverage; replayed by
#                                tests/host/test_acpitab
#   scripts/fuzz.sh --merge      keep in tests/fuzz-corpus a small set of inputs
#                                (at most 200) from build/fuzz/corpus,
#                                tests/fuzz-corpus and the seeds that reaches
#                                every edge any of them reaches (greedy set
#                                cover, tools/fuzz_cover.c); the kept corpus
#                                is replayed by tests/host/test_fuzz_corpus
#
# Needs clang with libFuzzer. The target (tools/fuzz_mapparse.c) runs every
# input through the parsers, memmap_from_efi, the planner and all outputs
# under AddressSanitizer and UBSan; crashes land in build/fuzz/crash-*.
# After fixing one, copy it to tests/fuzz-regressions/ (and raise
# FUZZ_REGRESSIONS in tests/host/test_fuzz_corpus.c): --merge keeps inputs
# for coverage and may drop it, tests/fuzz-regressions is replayed for good.
# Run from the repository root (make fuzz FUZZ_SECONDS=N does).
set -eu

OUT=build/fuzz
BIN=$OUT/fuzz_mapparse
SEEDS=tests/data/memmaps
KEEP=tests/fuzz-corpus
REGRESSIONS=tests/fuzz-regressions
MAX_LEN=32768          # the largest real map (tests/data/memmaps) is about 21 KB
CORPUS_MAX=200         # what we are willing to keep in the repository
SIZE_BIAS=5000         # bytes; see select_cover

build() {
	mkdir -p "$OUT/corpus"
	srcs=$(ls mm/*.c tools/*.c | grep -v -e '^tools/main\.c$' -e '^tools/fuzz_')
	clang -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=undefined -fno-omit-frame-pointer \
		-Iinclude -Itools -DCARTO_HOST $srcs tools/fuzz_mapparse.c -o "$BIN"
}

# Coverage helper: the same code, instrumented with trace-pc-guard only.
build_cover() {
	srcs=$(ls mm/*.c tools/*.c | grep -v -e '^tools/main\.c$' -e '^tools/fuzz_')
	mkdir -p "$OUT/cover"
	for f in $srcs; do
		clang -std=gnu11 -O1 -fsanitize-coverage=trace-pc-guard -Iinclude -Itools \
			-DCARTO_HOST -c "$f" -o "$OUT/cover/$(echo "$f" | tr / _).o"
	done
	clang -std=gnu11 -O1 -Iinclude -Itools -DCARTO_HOST tools/fuzz_cover.c \
		"$OUT"/cover/*.o -o "$OUT/fuzz_cover"
}

# Keep a small set of inputs that together reach every edge any of them
# reaches: greedy set cover over each file's full edge set, picking the
# file with the most new edges per byte (plus SIZE_BIAS, so a 50-byte file
# adding one edge does not beat a 2 KB file adding forty). Writes the
# picks to $1.
select_cover() {
	{ find "$KEEP" "$OUT/corpus" -type f -size -${MAX_LEN}c
	  find "$SEEDS" -type f -name '*.txt' -size -${MAX_LEN}c; } |
		xargs "$OUT/fuzz_cover" >"$OUT/cover.txt"
	python3 - "$OUT/cover.txt" "$1" "$CORPUS_MAX" "$SIZE_BIAS" <<'PY'
import hashlib, os, sys
cover, out, limit, bias = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
edges, size = {}, {}
for line in open(cover):
    f = line.split()
    edges[f[0]] = set(map(int, f[1:]))
    size[f[0]] = os.path.getsize(f[0])
covered, chosen = set(), []
while edges:
    best = max(edges, key=lambda p: (len(edges[p] - covered) / (size[p] + bias), -size[p]))
    if not edges[best] - covered:
        break
    chosen.append(best)
    covered |= edges.pop(best)
if len(chosen) > limit:
    sys.exit("fuzz.sh: %d inputs needed to keep %d edges (> %d)" % (len(chosen), len(covered), limit))
os.makedirs(out, exist_ok=True)
for p in chosen:
    data = open(p, "rb").read()
    open(os.path.join(out, hashlib.sha1(data).hexdigest()), "wb").write(data)
print("fuzz.sh: %d inputs reach all %d edges" % (len(chosen), len(covered)))
PY
}

merge() {
	build_cover
	rm -rf "$OUT/selected"
	mkdir -p "$KEEP"
	select_cover "$OUT/selected"
	rm -f "$KEEP"/*
	cp "$OUT/selected"/* "$KEEP"/
	echo "fuzz.sh: $KEEP now holds $(ls "$KEEP" | wc -l) inputs"
}

# ---- the ACPI table parser -------------------------------------------------------
ACPI_OUT=build/fuzz-acpi
ACPI_KEEP=tests/fuzz-corpus-acpi

# acpi_seeds: the dumps of tests/data/acpi in the binary form of tools/acpimem.h.
acpi_seeds() {
	mkdir -p "$ACPI_OUT/seeds" "$ACPI_OUT/corpus" "$ACPI_KEEP"
	python3 - "$ACPI_OUT/seeds" tests/data/acpi/*.txt <<'PY'
import os, struct, sys
out = sys.argv[1]
for path in sys.argv[2:]:
    rsdp, mem, blocks, cur = 0, [], [], None
    for line in open(path):
        f = line.split()
        if not f or f[0].startswith("#"):
            continue
        if cur is not None and len(cur[1]) < cur[2]:
            cur[1].extend(bytes.fromhex(f[0]))
            continue
        if f[0] == "rsdp":
            rsdp = int(f[1], 16)
        elif f[0] == "mem":
            mem.append((int(f[1], 16), int(f[2], 16), int(f[3], 16)))
        elif f[0] == "data":
            cur = [int(f[1], 16), bytearray(), int(f[2])]
            blocks.append(cur)
    data = struct.pack("<QB", rsdp, len(mem)) + b"".join(struct.pack("<QQI", *m) for m in mem)
    data += b"".join(struct.pack("<QH", a, len(b)) + bytes(b) for a, b, _ in blocks)
    name = os.path.basename(path).replace(".txt", ".bin")
    open(os.path.join(out, name), "wb").write(data)
PY
}

acpi_build() {
	mkdir -p "$ACPI_OUT"
	clang -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=undefined -fno-omit-frame-pointer \
		-Iinclude -Itools -DCARTO_HOST base/acpitab.c base/fmt.c tools/acpimem.c \
		tools/fuzz_acpi.c -o "$ACPI_OUT/fuzz_acpi"
}

if [ "${1:-}" = "--acpi" ]; then
	acpi_build
	acpi_seeds
	case "${2:-60}" in
	--merge)
		rm -rf "$ACPI_OUT/merged"
		mkdir -p "$ACPI_OUT/merged"
		"$ACPI_OUT/fuzz_acpi" -merge=1 -max_len=$MAX_LEN "$ACPI_OUT/merged" \
			"$ACPI_OUT/seeds" "$ACPI_KEEP" "$ACPI_OUT/corpus"
		rm -f "$ACPI_KEEP"/*
		cp "$ACPI_OUT/merged"/* "$ACPI_KEEP"/
		echo "fuzz.sh: $ACPI_KEEP now holds $(ls "$ACPI_KEEP" | wc -l) inputs"
		;;
	*[!0-9]*)
		echo "usage: scripts/fuzz.sh --acpi [SECONDS] | --acpi --merge" >&2
		exit 2
		;;
	*)
		cd "$ACPI_OUT"
		./fuzz_acpi -max_total_time="$2" -max_len=$MAX_LEN -timeout=25 \
			-rss_limit_mb=2048 -print_final_stats=1 \
			corpus "../../$ACPI_KEEP" seeds
		;;
	esac
	exit 0
fi

build
case "${1:-60}" in
--merge)
	merge
	;;
*[!0-9]*)
	echo "usage: scripts/fuzz.sh [--acpi] [SECONDS] | [--acpi] --merge" >&2
	exit 2
	;;
*)
	mkdir -p "$KEEP"
	cd "$OUT"
	./fuzz_mapparse -max_total_time="$1" -max_len=$MAX_LEN -timeout=25 \
		-rss_limit_mb=2048 -print_final_stats=1 \
		corpus "../../$KEEP" "../../$REGRESSIONS" "../../$SEEDS"
	;;
esac
