/*
 * store/zmem.c - zstd's memory, wiped when zstd frees it.
 *
 * A compression context's workspace keeps the literals of the text it last
 * compressed, a decompression context's its last output when it decoded
 * into a buffer of its own, and zstd frees and replaces a workspace that
 * is too small (or too large too long) without wiping it.  So every
 * context and dictionary liaison makes takes this allocator, whose free
 * wipes the whole block first.
 */
#include "config.h"

#include <stdlib.h>

#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_customMem: exported since 1.3 */
#include <zstd.h>

#include "store/internal.h"

static void *
zmem_alloc(void *opaque, size_t n)
{
	(void)opaque;
	return malloc(n);
}

static void
zmem_free(void *opaque, void *p)
{
	(void)opaque;
	lsn_wipe_free_block(p);
}

const ZSTD_customMem store__zstd_mem = { zmem_alloc, zmem_free, NULL };

ZSTD_CCtx *
store__zstd_cctx(void)
{
	return ZSTD_createCCtx_advanced(store__zstd_mem);
}

ZSTD_DCtx *
store__zstd_dctx(void)
{
	return ZSTD_createDCtx_advanced(store__zstd_mem);
}
