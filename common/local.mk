# common/: status codes, error messages, wiping.
libliaison_a_SOURCES += common/common.h common/common.c common/token.c
