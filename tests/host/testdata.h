/*
 * testdata.h - where the host tests find their committed data, and the
 * check that the real-map folder holds what its README lists.
 *
 * The data lives in the repository, under tests/data/. Paths are built
 * from where this header was compiled (make builds from the repository
 * root, so that is "tests/host/testdata.h"); CARTO_MEMMAPS overrides the
 * memory-map folder. Nothing here reads outside the repository unless the
 * override says so.
 */
#ifndef CARTO_TESTDATA_H
#define CARTO_TESTDATA_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tap.h"

/* "<repository root>tests/data/<rel>" into buf. */
static inline void testdata_path(char *buf, size_t cap, const char *rel)
{
	const char *f = __FILE__;
	const char *tail = strstr(f, "tests/host/");

	snprintf(buf, cap, "%.*stests/data/%s", tail ? (int)(tail - f) : 0, f, rel);
}

/* The real memory maps: tests/data/memmaps, or $CARTO_MEMMAPS. */
static inline const char *testdata_memmaps(void)
{
	static char dir[600];
	const char *env = getenv("CARTO_MEMMAPS");

	if (env && *env)
		return env;
	testdata_path(dir, sizeof(dir), "memmaps");
	return dir;
}

static inline int testdata_is_map(const char *name)
{
	size_t n = strlen(name);
	return n > 4 && strcmp(name + n - 4, ".txt") == 0;
}

/*
 * TAP checks that the map folder dir holds exactly the maps its README.md
 * table lists (rows "| NAME.txt | ..."), each one a readable file, and
 * that the caller's own list of maps (listed entries) has the same
 * length. A deleted, unlisted or extra map fails with its path named.
 */
static inline void testdata_check_memmaps(const char *dir, size_t listed, const char *who)
{
	char path[1200], line[1024];
	size_t rows = 0, files = 0, unlisted = 0;
	FILE *readme;
	DIR *d;

	snprintf(path, sizeof(path), "%s/README.md", dir);
	readme = fopen(path, "r");
	if (!TAP_CHECK(readme != NULL, "%s: map list %s opens", who, path))
		return;
	while (fgets(line, sizeof(line), readme)) {
		char name[300];
		if (sscanf(line, "| %299[^ |] |", name) != 1 || !testdata_is_map(name))
			continue;
		rows++;
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		FILE *f = fopen(path, "r");
		TAP_CHECK(f != NULL, "%s: listed map %s is readable", who, path);
		if (f)
			fclose(f);
	}
	fclose(readme);

	d = opendir(dir);
	if (!TAP_CHECK(d != NULL, "%s: map folder %s opens", who, dir))
		return;
	for (struct dirent *e; (e = readdir(d)); ) {
		struct stat st;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (!testdata_is_map(e->d_name) || stat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		files++;
		snprintf(line, sizeof(line), "| %s |", e->d_name);
		snprintf(path, sizeof(path), "%s/README.md", dir);
		char *text = NULL;
		FILE *r = fopen(path, "r");
		if (r) {
			size_t cap = 0;
			int found = 0;
			while (!found && getline(&text, &cap, r) >= 0)
				found = strncmp(text, line, strlen(line)) == 0;
			fclose(r);
			if (!found) {
				unlisted++;
				TAP_CHECK(0, "%s: %s/%s is listed in README.md", who, dir, e->d_name);
			}
		}
		free(text);
	}
	closedir(d);
	TAP_CHECK(rows > 0 && files == rows && unlisted == 0 && listed == rows,
		  "%s: %s holds %zu maps, README.md lists %zu, this test knows %zu",
		  who, dir, files, rows, listed);
}

#endif
