#!/bin/sh
# fuzz.sh - build the memory-map parser fuzz target and run it.
#
#   scripts/fuzz.sh [SECONDS]    fuzz for SECONDS (default 60), seeded with
#                                ../shared/memmaps and tests/fuzz-corpus;
#                                new inputs go to build/fuzz/corpus
#   scripts/fuzz.sh --merge      minimise build/fuzz/corpus + tests/fuzz-corpus
#                                into tests/fuzz-corpus (the kept regression
#                                corpus, replayed by tests/host/test_fuzz_corpus)
#
# Needs clang with libFuzzer. The target (tools/fuzz_mapparse.c) runs every
# input through the parsers, memmap_from_efi, the planner and all outputs
# under AddressSanitizer and UBSan; crashes land in build/fuzz/crash-*.
# Run from the repository root.
set -eu

OUT=build/fuzz
BIN=$OUT/fuzz_mapparse
SEEDS=../shared/memmaps
KEEP=tests/fuzz-corpus
MAX_LEN=32768          # the largest shared map is about 21 KB
CORPUS_MAX=200         # what we are willing to keep in the repository

build() {
	mkdir -p "$OUT/corpus"
	srcs=$(ls mm/*.c tools/*.c | grep -v -e '^tools/main\.c$' -e '^tools/fuzz_')
	clang -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=undefined -fno-omit-frame-pointer \
		-Iinclude -Itools -DCARTO_HOST $srcs tools/fuzz_mapparse.c -o "$BIN"
}

merge() {
	rm -rf "$OUT/merged"
	mkdir -p "$OUT/merged" "$KEEP"
	"$BIN" -merge=1 -max_len=$MAX_LEN "$OUT/merged" "$KEEP" "$OUT/corpus" "$SEEDS"
	n=$(ls "$OUT/merged" | wc -l)
	if [ "$n" -gt "$CORPUS_MAX" ]; then
		echo "fuzz.sh: merged corpus has $n files (> $CORPUS_MAX): keeping the old one" >&2
		exit 1
	fi
	rm -f "$KEEP"/*
	cp "$OUT/merged"/* "$KEEP"/
	echo "fuzz.sh: $KEEP now holds $n inputs"
}

build
case "${1:-60}" in
--merge)
	merge
	;;
*[!0-9]*)
	echo "usage: scripts/fuzz.sh [SECONDS] | --merge" >&2
	exit 2
	;;
*)
	mkdir -p "$KEEP"
	cd "$OUT"
	./fuzz_mapparse -max_total_time="$1" -max_len=$MAX_LEN -timeout=25 \
		-rss_limit_mb=2048 -print_final_stats=1 \
		corpus "../../$KEEP" "../../$SEEDS"
	;;
esac
