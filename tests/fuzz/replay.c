/*
 * tests/fuzz/replay.c - run a libFuzzer target over files without libFuzzer.
 *
 * Linked with one fuzz-NAME.c, this is how `make check` replays the seed
 * corpora and the kept crash inputs with the normal compiler (and under the
 * sanitizers with --enable-sanitizers).  Usage: replay-NAME [FILE|DIR...];
 * with no argument it replays tests/fuzz/corpus/NAME and, if present,
 * tests/fuzz/regressions/NAME (kept crash inputs).
 * Prints TAP: one test per input file.
 */
#include "config.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int count;

static int
replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long len;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		printf("not ok %d - %s: cannot read\n", ++count, path);
		if (f)
			fclose(f);
		return 1;
	}
	buf = malloc(len > 0 ? (size_t)len : 1);
	if (buf == NULL || fread(buf, 1, (size_t)len, f) != (size_t)len) {
		printf("not ok %d - %s: cannot read\n", ++count, path);
		free(buf);
		fclose(f);
		return 1;
	}
	fclose(f);
	/* A crash or sanitizer report aborts the process: the TAP plan then fails. */
	LLVMFuzzerTestOneInput(buf, (size_t)len);
	free(buf);
	printf("ok %d - %s\n", ++count, path);
	return 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
replay(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *e;
	char **names = NULL;
	size_t n = 0;
	int bad = 0;

	if (stat(path, &st) != 0) {
		printf("not ok %d - %s: missing\n", ++count, path);
		return 1;
	}
	if (!S_ISDIR(st.st_mode))
		return replay_file(path);
	if ((d = opendir(path)) == NULL)
		return replay_file(path);
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		names = realloc(names, (n + 1) * sizeof(*names));
		names[n] = malloc(strlen(path) + strlen(e->d_name) + 2);
		sprintf(names[n], "%s/%s", path, e->d_name);
		n++;
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++) {
		bad |= replay(names[i]);
		free(names[i]);
	}
	free(names);
	return bad;
}

int
main(int argc, char **argv)
{
	int bad = 0;

	if (argc == 1) {
		/* Under make check: the target's seed corpus and kept crashes. */
		const char *src = getenv("LSN_SRCDIR");
		char path[4096];
		static const char *const dirs[] = { "corpus", "regressions" };

		if (src == NULL)
			src = LSN_SRCDIR;
		for (size_t i = 0; i < 2; i++) {
			struct stat st;
			snprintf(path, sizeof(path), "%s/tests/fuzz/%s/%s", src,
			    dirs[i], FUZZ_NAME);
			if (i == 0 || stat(path, &st) == 0)
				bad |= replay(path);
		}
	}
	for (int i = 1; i < argc; i++)
		bad |= replay(argv[i]);
	printf("1..%d\n", count);
	return bad;
}
