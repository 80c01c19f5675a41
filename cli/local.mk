# cli/: the liaison program, one file per subcommand.
liaison_SOURCES += cli/cli.h cli/liaison.c cli/keysrc.c cli/cmd-init.c cli/cmd-info.c cli/cmd-ingest.c cli/cmd-marking.c
liaison_SOURCES += cli/principal.c cli/cmd-principal.c
dist_man1_MANS += doc/liaison-principal.1
TESTS += tests/cli/principal.sh
EXTRA_DIST += tests/cli/principal.sh
