/*
 * test_fuzz_corpus.c - replay the kept fuzz corpus (tests/fuzz-corpus/)
 * and the fuzzer's past findings (tests/fuzz-regressions/).
 *
 * Every input is run through the parsers, the analysis, the planner and
 * every output (tools/exercise.c, the same code the fuzz target runs),
 * under this build's ASan/UBSan. Each must keep the invariants.
 * scripts/fuzz.sh --merge rewrites tests/fuzz-corpus (inputs that reach
 * every edge); it never touches tests/fuzz-regressions, where an input
 * that once broke an invariant stays for good. An empty or missing
 * corpus, or fewer regressions than were committed, is a failure, not a
 * pass. CARTO_FUZZ_CORPUS overrides the corpus directory.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fileio.h"
#include "exercise.h"
#include "tap.h"

/* Inputs committed in tests/fuzz-regressions: raise it when adding one. */
#define FUZZ_REGRESSIONS 10

/* tests/<name>, found from where this file was compiled. */
static void tests_dir(char *dir, size_t cap, const char *name)
{
	const char *f = __FILE__;
	const char *tail = strstr(f, "tests/host/");

	snprintf(dir, cap, "%.*stests/%s", tail ? (int)(tail - f) : 0, f, name);
}

/* Replay every regular file in @dir; returns how many were read. */
static size_t replay(const char *dir, FILE *sink)
{
	char path[1200], why[200];
	size_t files = 0;
	DIR *d = opendir(dir);

	TAP_CHECK(d != NULL, "directory %s opens", dir);
	for (struct dirent *e; d && (e = readdir(d)); ) {
		struct stat st;
		size_t len = 0;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		char *data = read_file(path, &len);
		if (!TAP_CHECK(data != NULL, "%s: readable", path))
			continue;
		int r = mapfile_exercise(data, len, sink, why);
		TAP_CHECK(r == 0, "%s (%zu bytes): invariants hold%s%s", e->d_name, len,
			  r ? ": " : "", r ? why : "");
		free(data);
		files++;
	}
	if (d)
		closedir(d);
	return files;
}

int main(void)
{
	char dir[600];
	const char *env = getenv("CARTO_FUZZ_CORPUS");
	FILE *sink = fopen("/dev/null", "w");

	tap_plan_unknown();
	if (!TAP_CHECK(sink != NULL, "/dev/null opens"))
		return tap_done();
	if (env && *env)
		snprintf(dir, sizeof(dir), "%s", env);
	else
		tests_dir(dir, sizeof(dir), "fuzz-corpus");
	size_t n = replay(dir, sink);
	TAP_CHECK(n > 0, "corpus %s holds %zu inputs", dir, n);
	tests_dir(dir, sizeof(dir), "fuzz-regressions");
	n = replay(dir, sink);
	TAP_CHECK(n >= FUZZ_REGRESSIONS, "regressions %s: %zu inputs replayed (%d committed)", dir, n,
		  FUZZ_REGRESSIONS);
	fclose(sink);
	return tap_done();
}
