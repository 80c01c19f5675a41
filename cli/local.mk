# cli/: the liaison program, one file per subcommand.
liaison_SOURCES += cli/cli.h cli/liaison.c cli/keysrc.c cli/cmd-init.c cli/cmd-info.c cli/cmd-marking.c
