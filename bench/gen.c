/*
 * bench/gen.c - liaison-gen: write the benchmark corpus (bench/corpus.h).
 *
 *   liaison-gen --seed N --count N [--start N] [--out DIR]
 *
 * Without --out the reports go to standard output as one stream, each
 * starting with "<?xml" on a new line (what `liaison ingest -` reads); with
 * --out each report is written to DIR/ID.xml.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bench/corpus.h"

static int
number(const char *name, const char *arg, unsigned long long *v)
{
	char *end;

	errno = 0;
	*v = strtoull(arg, &end, 10);
	if (errno || end == arg || *end || arg[0] == '-') {
		fprintf(stderr, "liaison-gen: --%s: not a number: %s\n", name, arg);
		return -1;
	}
	return 0;
}

static void
usage(FILE *f)
{
	fputs("usage: liaison-gen --seed N --count N [--start N] [--out DIR]\n"
	      "Write COUNT generated marked reports (deterministic for a seed) to\n"
	      "standard output as a stream, or to DIR/ID.xml with --out.\n", f);
}

int
main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "seed", 1, NULL, 's' }, { "count", 1, NULL, 'n' },
		{ "start", 1, NULL, 'f' }, { "out", 1, NULL, 'o' },
		{ "help", 0, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	unsigned long long seed = 1, count = 1000, start = 0;
	const char *dir = NULL;
	corpus *c = NULL;
	int ch, rc = 1;

	while ((ch = getopt_long(argc, argv, "s:n:f:o:h", lopts, NULL)) != -1) {
		switch (ch) {
		case 's':
			if (number("seed", optarg, &seed))
				return 64;
			break;
		case 'n':
			if (number("count", optarg, &count))
				return 64;
			break;
		case 'f':
			if (number("start", optarg, &start))
				return 64;
			break;
		case 'o':
			dir = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 64;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 64;
	}
	if (corpus_new(&c, seed) != 0) {
		fputs("liaison-gen: out of memory\n", stderr);
		return 70;
	}
	if (dir && mkdir(dir, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "liaison-gen: %s: %s\n", dir, strerror(errno));
		goto out;
	}
	for (unsigned long long i = start; i < start + count; i++) {
		const corpus_doc *d = corpus_doc_make(c, i);
		if (dir) {
			char path[4096];
			FILE *f;
			snprintf(path, sizeof(path), "%s/%s.xml", dir, d->id);
			if ((f = fopen(path, "w")) == NULL ||
			    fwrite(d->xml, 1, d->xml_len, f) != d->xml_len || fclose(f) != 0) {
				fprintf(stderr, "liaison-gen: %s: %s\n", path, strerror(errno));
				goto out;
			}
		} else if (fwrite(d->xml, 1, d->xml_len, stdout) != d->xml_len) {
			fprintf(stderr, "liaison-gen: writing: %s\n", strerror(errno));
			goto out;
		}
	}
	if (fflush(stdout) != 0) {
		fprintf(stderr, "liaison-gen: writing: %s\n", strerror(errno));
		goto out;
	}
	rc = 0;
out:
	corpus_free(c);
	return rc;
}
