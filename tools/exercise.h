/*
 * exercise.h - run one input through everything the analyzer does and
 * check what must always hold. Shared by the libFuzzer target
 * (tools/fuzz_mapparse.c) and the host test that replays the kept corpus
 * (tests/host/test_fuzz_corpus.c), so both check the same things.
 */
#ifndef CARTO_EXERCISE_H
#define CARTO_EXERCISE_H

#include <stdio.h>

#include "types.h"

/*
 * mapfile_exercise - parse @len bytes of @data; for every map found,
 * clean it, plan it with and without 1 GiB pages, and write show, plan
 * (text and JSON) and svg output to @sink. Checks: a refused input has a
 * message; the clean map is sorted, page aligned, non-overlapping, below
 * 2^52 and fully merged; the plan's bytes add up. Returns 0 if all held,
 * else -1 with the broken rule in @why (at least 200 bytes).
 */
int mapfile_exercise(const void *data, size_t len, FILE *sink, char *why);

#endif
