# query/: the query language, search, releasable views and stats.
libliaison_a_SOURCES += query/query.h query/internal.h query/parse.c \
	query/run.c query/view.c

TESTS += tests/cli/query.sh
EXTRA_DIST += tests/cli/query.sh
