# store/: the encrypted LMDB store (records, postings, principals, audit).
libliaison_a_SOURCES += store/store.h store/internal.h store/keys.c \
	store/seal.c store/env.c store/batch.c store/dict.c store/audit.c
