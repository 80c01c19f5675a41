# ingest/: XML reports in (parse, validate, roll up, seal, index).
libliaison_a_SOURCES += ingest/ingest.h ingest/parse.c ingest/record.c \
	ingest/postings.c ingest/run.c
dist_pkgdata_DATA += schemas/report.xsd schemas/ism.xsd

TESTS += tests/cli/ingest.sh
EXTRA_DIST += tests/cli/ingest.sh tests/bad-input
TESTS += tests/cli/crash.sh
EXTRA_DIST += tests/cli/crash.sh
