/*
 * test_fuzz_corpus.c - replay the kept fuzz corpus (tests/fuzz-corpus/).
 *
 * Every input scripts/fuzz.sh kept is run through the parsers, the
 * analysis, the planner and every output (tools/exercise.c, the same code
 * the fuzz target runs), under this build's ASan/UBSan. Each must keep the
 * invariants. An empty or missing corpus is a failure, not a pass.
 * CARTO_FUZZ_CORPUS overrides the directory.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fileio.h"
#include "exercise.h"
#include "tap.h"

/* tests/fuzz-corpus, found from where this file was compiled. */
static void corpus_dir(char *dir, size_t cap)
{
	const char *env = getenv("CARTO_FUZZ_CORPUS");
	const char *f = __FILE__;
	const char *tail = strstr(f, "tests/host/");

	if (env)
		snprintf(dir, cap, "%s", env);
	else
		snprintf(dir, cap, "%.*stests/fuzz-corpus", tail ? (int)(tail - f) : 0, f);
}

int main(void)
{
	char dir[600], path[1200], why[200];
	FILE *sink = fopen("/dev/null", "w");
	size_t files = 0;
	DIR *d;

	tap_plan_unknown();
	corpus_dir(dir, sizeof(dir));
	d = opendir(dir);
	TAP_CHECK(d != NULL && sink != NULL, "corpus directory %s opens", dir);
	for (struct dirent *e; d && (e = readdir(d)); ) {
		struct stat st;
		size_t len = 0;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		char *data = read_file(path, &len);
		if (!TAP_CHECK(data != NULL, "%s: readable", e->d_name))
			continue;
		int r = mapfile_exercise(data, len, sink, why);
		TAP_CHECK(r == 0, "%s (%zu bytes): invariants hold%s%s", e->d_name, len,
			  r ? ": " : "", r ? why : "");
		free(data);
		files++;
	}
	if (d)
		closedir(d);
	if (sink)
		fclose(sink);
	TAP_CHECK(files > 0, "corpus holds %zu inputs", files);
	return tap_done();
}
