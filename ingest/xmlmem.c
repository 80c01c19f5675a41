/*
 * ingest/xmlmem.c - libxml2's memory.
 *
 * libxml2 holds report text in its own buffers, so every byte it releases is
 * wiped first.  Outside a document that is done block by block (wipe_free).
 * While a thread parses and validates a document, its libxml2 allocations
 * come from the thread's arena instead: bump allocation in a few chunks,
 * nothing freed one by one, and the whole used part wiped once when the
 * document is done.  A document's DOM is tens of thousands of small blocks;
 * malloc and free with a wipe each were about a tenth of ingest's CPU.
 *
 * Rules that keep this safe:
 *   - only memory allocated inside the scope is arena memory: a block from
 *     before it (malloc'd) is freed and grown with malloc as before, so a
 *     long-lived libxml2 object never ends up pointing into the arena by
 *     way of realloc;
 *   - everything libxml2 allocates for the document (parser context, its
 *     dictionary, the DOM, the validation context) is created inside the
 *     scope and dead when it ends;
 *   - the thread's last-error record is the one libxml2 object that outlives
 *     a parse and may hold strings allocated inside it: it is reset before
 *     the scope ends.
 */
#include "config.h"

#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlmemory.h>

#include "ingest/ingest.h"

#if LSN_ASAN /* common.h; with clang's too, which the fuzz build uses */
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define ALIGN 16u
#define HDR ALIGN                     /* a block's size, before the block */
#define FIRST_CHUNK (512u << 10)      /* kept between documents */
#define MAX_KEEP FIRST_CHUNK

struct chunk {
	struct chunk *next; /* older chunk */
	size_t size;        /* bytes in data[] */
	size_t used;
	size_t last;        /* offset of the newest block's header, or SIZE_MAX */
	_Alignas(ALIGN) unsigned char data[];
};

struct arena {
	struct chunk *head; /* newest first; the oldest is kept between documents */
	int active;
};

static _Thread_local struct arena tl_arena;
static pthread_key_t arena_key;

/* ---- outside an arena: malloc, wiped on release ---- */

static void
wipe_free(void *p)
{
	lsn_wipe_free_block(p);
}

static void *
wipe_realloc(void *p, size_t n)
{
	size_t old;
	void *q;

	if (p == NULL)
		return malloc(n);
	old = malloc_usable_size(p);
	if (n <= old)
		return p; /* shrinking or fitting: no copy left behind */
	if ((q = malloc(n)) == NULL)
		return NULL;
	memcpy(q, p, old);
	wipe_free(p);
	return q;
}

/* ---- the arena ---- */

static size_t
round_up(size_t n)
{
	return (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
}

static struct chunk *
chunk_new(struct chunk *next, size_t size)
{
	/* calloc: every byte of a chunk is zero until it is handed out, so a
	 * dropped chunk is all zero (ingest__xml_arena_stats checks it). */
	struct chunk *c = calloc(1, sizeof(*c) + size);

	if (c == NULL)
		return NULL;
	c->next = next;
	c->size = size;
	c->used = 0;
	c->last = SIZE_MAX;
	POISON(c->data, size);
	return c;
}

static size_t
block_size(const unsigned char *p)
{
	size_t n;

	UNPOISON(p - HDR, sizeof(n));
	memcpy(&n, p - HDR, sizeof(n));
	POISON(p - HDR, sizeof(n));
	return n;
}

/* The chunk of the current arena that holds p, or NULL. */
static struct chunk *
owner(const struct arena *a, const void *p)
{
	uintptr_t u = (uintptr_t)p;

	for (struct chunk *c = a->head; c != NULL; c = c->next)
		if (u >= (uintptr_t)c->data && u < (uintptr_t)c->data + c->size)
			return c;
	return NULL;
}

static void *
arena_alloc(struct arena *a, size_t n)
{
	size_t need, sz = round_up(n ? n : 1);
	struct chunk *c = a->head;
	unsigned char *p;

	if (sz < n || sz > SIZE_MAX / 4)
		return NULL; /* overflow */
	need = HDR + sz;
	if (c == NULL || c->size - c->used < need) {
		size_t size = c ? 2 * c->size : FIRST_CHUNK;
		if (size < need)
			size = round_up(need);
		if ((c = chunk_new(c, size)) == NULL)
			return NULL;
		a->head = c;
		if (c->next == NULL)
			pthread_setspecific(arena_key, a); /* freed when the thread ends */
	}
	p = c->data + c->used;
	c->last = c->used;
	c->used += need;
	UNPOISON(p, sizeof(sz));
	memcpy(p, &sz, sizeof(sz));
	POISON(p, sizeof(sz));
	UNPOISON(p + HDR, sz); /* the whole rounded block: realloc copies it */
	return p + HDR;
}

/* Freeing the newest block gives its space back (a grow-then-free pattern
 * is common); any other block waits for the end of the document. */
static void
arena_free(struct chunk *c, unsigned char *p)
{
	size_t off = (size_t)(p - HDR - c->data);

	if (off == c->last) {
		size_t n = block_size(p);
		UNPOISON(p - HDR, HDR + n);
		explicit_bzero(p - HDR, HDR + n);
		POISON(p - HDR, HDR + n);
		c->used = off;
		c->last = SIZE_MAX;
	}
}

static void *
arena_realloc(struct arena *a, struct chunk *c, unsigned char *p, size_t n)
{
	size_t old = block_size(p), off = (size_t)(p - HDR - c->data);
	size_t sz = round_up(n);
	void *q;

	if (n <= old)
		return p;
	/* The newest block of the newest chunk grows in place. */
	if (c == a->head && off == c->last && sz >= n && c->size - off - HDR >= sz) {
		UNPOISON(p - HDR, sizeof(sz));
		memcpy(p - HDR, &sz, sizeof(sz));
		POISON(p - HDR, sizeof(sz));
		UNPOISON(p, sz);
		c->used = off + HDR + sz;
		return p;
	}
	if ((q = arena_alloc(a, n)) == NULL)
		return NULL;
	memcpy(q, p, old); /* the old copy is wiped with the arena */
	arena_free(c, p);
	return q;
}

/* ---- what libxml2 calls ---- */

/* An arena block is recognised by its address whether or not a document
 * is being parsed: libxml2 must never hand one to free(). */
static void
xml_free(void *p)
{
	struct arena *a = &tl_arena;
	struct chunk *c;

	if (p == NULL)
		return;
	if ((c = owner(a, p)) != NULL)
		arena_free(c, p);
	else
		wipe_free(p);
}

static void *
xml_malloc(size_t n)
{
	struct arena *a = &tl_arena;

	return a->active ? arena_alloc(a, n) : malloc(n);
}

static void *
xml_realloc(void *p, size_t n)
{
	struct arena *a = &tl_arena;
	struct chunk *c;

	if (p == NULL)
		return xml_malloc(n);
	if ((c = owner(a, p)) == NULL)
		return wipe_realloc(p, n);
	if (a->active)
		return arena_realloc(a, c, p, n);
	/* An arena block grown after its document (a libxml2 object that
	 * outlived it): it moves to malloc. */
	size_t old = block_size(p);
	void *q = n > old ? malloc(n) : p;
	if (q != NULL && q != p) {
		memcpy(q, p, old);
		arena_free(c, p);
	}
	return q;
}

static char *
xml_strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = xml_malloc(n);

	if (d != NULL)
		memcpy(d, s, n);
	return d;
}

/* Wipe and release every chunk but the oldest (if it is the usual size);
 * the oldest is wiped and kept for the next document. */
static void
arena_drop(struct arena *a, int keep)
{
	struct chunk *c = a->head, *kept = NULL;

	while (c != NULL) {
		struct chunk *next = c->next;
		UNPOISON(c->data, c->used);
		explicit_bzero(c->data, c->used);
		if (keep && next == NULL && c->size <= MAX_KEEP) {
			c->used = 0;
			c->last = SIZE_MAX;
			c->next = NULL;
			POISON(c->data, c->size);
			kept = c;
		} else {
			free(c);
		}
		c = next;
	}
	a->head = kept;
}

static void
arena_thread_end(void *p)
{
	arena_drop(p, 0);
}

static pthread_once_t mem_once = PTHREAD_ONCE_INIT;

static void
mem_setup(void)
{
	pthread_key_create(&arena_key, arena_thread_end);
	xmlMemSetup(xml_free, xml_malloc, xml_realloc, xml_strdup);
	xmlInitParser();
}

void
ingest__xml_mem_setup(void)
{
	pthread_once(&mem_once, mem_setup);
}

void
ingest_xml_mem_wiped(void)
{
	ingest__xml_mem_setup();
}

void
ingest__xml_arena_begin(void)
{
	ingest__xml_mem_setup();
	tl_arena.active = 1;
}

void
ingest__xml_arena_end(void)
{
	struct arena *a = &tl_arena;

	/* The last error may name strings allocated in the arena. */
	xmlResetLastError();
	a->active = 0;
	arena_drop(a, 1);
}

void
ingest__xml_arena_stats(size_t *chunks, size_t *used, int *wiped)
{
	const struct arena *a = &tl_arena;

	*chunks = *used = 0;
	*wiped = 1;
	for (const struct chunk *c = a->head; c != NULL; c = c->next) {
		(*chunks)++;
		*used += c->used;
		if (!a->active) {
			UNPOISON(c->data, c->size);
			for (size_t i = 0; i < c->size && *wiped; i++)
				*wiped = c->data[i] == 0;
			POISON(c->data, c->size);
		}
	}
}
