/*
 * common/common.h - status codes, error messages and secret wiping shared by
 * every liaison folder.
 *
 * Every public function in liaison returns 0 (LSN_OK) or a negative
 * lsn_status.  A function documents which of these it can return; callers
 * branch on the code and show the message that travels in an lsn_err the
 * caller owns (never in a global).
 */
#ifndef LSN_COMMON_H
#define LSN_COMMON_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

/* 1 in a build with AddressSanitizer: gcc defines __SANITIZE_ADDRESS__,
 * clang (the fuzz build) says so through __has_feature only. */
#if defined(__SANITIZE_ADDRESS__)
#define LSN_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LSN_ASAN 1
#endif
#endif
#ifndef LSN_ASAN
#define LSN_ASAN 0
#endif
/* 1 in a build with ThreadSanitizer (--enable-sanitizers=thread). */
#if defined(__SANITIZE_THREAD__)
#define LSN_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define LSN_TSAN 1
#endif
#endif
#ifndef LSN_TSAN
#define LSN_TSAN 0
#endif
/* A sanitizer's allocator takes glibc's place: its heap settings and
 * statistics are not there to test. */
#define LSN_OWN_ALLOCATOR (LSN_ASAN || LSN_TSAN)

typedef enum lsn_status {
	LSN_OK = 0,
	LSN_ENOTFOUND = -1, /* no such store, report, principal: exit 66 */
	LSN_EDENIED = -2,   /* permission denied or wrong key: exit 77 */
	LSN_EINPUT = -3,    /* bad input or integrity failure: exit 65 */
	LSN_EIO = -4,       /* I/O error: exit 74 */
	LSN_EINTERNAL = -5, /* a bug or an impossible library state: exit 70 */
	LSN_EUSAGE = -6,    /* bad command line: exit 64 */
	LSN_EEXISTS = -7,   /* refusing to overwrite something that exists: exit 73 */
} lsn_status;

/* An error message, owned by the caller and filled by the callee. */
typedef struct lsn_err {
	char msg[512];
} lsn_err;

/*
 * Record a message in err (err may be NULL) and return code, so that error
 * paths read `return lsn_fail(err, LSN_EINPUT, "bad %s", x);`.  The message
 * is one line: control characters (a quoted value's line feed, escape,
 * tab) are written as '?'.
 */
int lsn_fail(lsn_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The sysexits.h exit status for an lsn_status (DESIGN.md section 9). */
int lsn_exit_code(int status);

/* A short name for a status code ("not found", "denied", ...). */
const char *lsn_status_name(int status);

/*
 * Overwrite n bytes at p with zeros in a way the compiler may not remove.
 * p may be NULL when n is 0.  Every buffer that held key material or report
 * plaintext goes through this before it is freed.
 */
void lsn_wipe(void *p, size_t n);

/* lsn_wipe(p, n) then free(p).  NULL is a no-op. */
void lsn_wipe_free(void *p, size_t n);

/* Free a malloc'd block, all of it wiped first (malloc_usable_size): for
 * a library's allocations, whose sizes its free hook is not told (libxml2,
 * zstd).  NULL is a no-op. */
void lsn_wipe_free_block(void *p);

/* realloc for a block that holds sensitive bytes: a new block of
 * new_size with the first min(old_size, new_size) bytes of p, and p
 * (old_size bytes) wiped and freed; realloc would leave the old copy
 * unwiped when it moves.  NULL when out of memory (p is then untouched). */
void *lsn_wipe_realloc(void *p, size_t old_size, size_t new_size);

/*
 * calloc(n, size) for a table that is read before it is written (an
 * open-addressing table's slots, a filter's bits): every page is written
 * here.  calloc leaves fresh pages untouched, so the first probe of one
 * maps the kernel's shared zero page, and the first store into it then
 * costs a copy-on-write fault and a TLB shootdown on every core.  NULL on
 * overflow or out of memory.
 */
void *lsn_table_alloc(size_t n, size_t size);

/* A fast 32-bit hash of p[0..n) for in-memory hash tables, never stored:
 * seeded at random per process (not cryptographic).  Inline: ingest hashes
 * every word of every report, most of them a few bytes long. */
extern uint64_t lsn_hash_seed;

static inline uint64_t
lsn__hash64(const void *p, size_t n, int padded)
{
	const uint8_t *b = p;
	uint64_t h = lsn_hash_seed ^ n, w;

	/* Eight bytes a step (FNV-1a took one: a multiply's latency per byte
	 * of every word ingest looks up), then a 64-bit finalizer so that the
	 * low bits, which the tables mask, depend on every input bit. */
	for (; n >= 8; b += 8, n -= 8) {
		memcpy(&w, b, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
	}
	if (n > 0) {
		if (padded) { /* one load and a mask, not a copy byte by byte */
			memcpy(&w, b, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
			w &= ~0ULL << (64 - 8 * n);
#else
			w &= ~0ULL >> (64 - 8 * n);
#endif
		} else {
			w = 0;
			memcpy(&w, b, n);
		}
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
	}
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

static inline uint32_t
lsn_hash32(const void *p, size_t n)
{
	return (uint32_t)lsn__hash64(p, n, 0);
}

/* All 64 bits of the same hash (for more than one probe per key). */
static inline uint64_t
lsn_hash64(const void *p, size_t n)
{
	return lsn__hash64(p, n, 0);
}

/* The same hash when p[n..n+8) may be read too (the bytes there do not
 * change it). */
static inline uint32_t
lsn_hash32_padded(const void *p, size_t n)
{
	return (uint32_t)lsn__hash64(p, n, 1);
}

/* Constant-time comparison: 0 when the n bytes at a and b are equal. */
int lsn_ct_memcmp(const void *a, const void *b, size_t n);

/*
 * The number of bytes JSON-escaping s (without quotes) takes, and the
 * escaping itself into out, which must have room for that many bytes plus
 * a NUL.  Control characters become \u00XX; valid UTF-8 passes through,
 * and a byte that begins no valid UTF-8 sequence becomes \ufffd, so that
 * the output is JSON whatever s holds (a file name can hold any bytes).
 * Sized first, filled second: no realloc leaves copies of sensitive text.
 * lsn_json_fputs writes s so escaped, in quotes, to f.
 */
size_t lsn_json_escaped_len(const char *s);
char *lsn_json_escape(char *out, const char *s);
void lsn_json_fputs(FILE *f, const char *s);

/* Write s to f for a terminal: a control character (C0, DEL, C1) or a
 * byte that begins no valid UTF-8 sequence is written as '?', so that a
 * file name cannot break a message's line or send the terminal escapes. */
void lsn_fputs_safe(FILE *f, const char *s);
/* Write s to f as one line for a terminal: each run of white space
 * (space, tab, CR, LF, VT, FF) as one space, any other character
 * lsn_fputs_safe refuses as '?', so that report text shown as text cannot
 * begin a line of its own that looks like a portion mark or a banner
 * ("line1\r(S//NF) ..."). */
void lsn_fputs_line(FILE *f, const char *s);
/* The same in place: each byte of such a character becomes '?'. */
void lsn_clean(char *s);

/*
 * Words for the full-text index, shared by ingest and query so that both
 * see the same words: maximal runs of Unicode letters and digits
 * (iswalnum in the C.UTF-8 locale), lowercased with Unicode simple case
 * mapping, cut to LSN_TOKEN_MAX bytes on a character boundary.  Invalid
 * UTF-8 separates words.  (common/token.c)
 */
#define LSN_TOKEN_MAX 64
typedef struct lsn_tokenizer {
	const unsigned char *p, *end;
	const unsigned char *win; /* 64 bytes of text classified at once */
	uint64_t win_words;       /* bit i: win[i] is a letter or digit */
	int win_ascii;            /* all 64 are ASCII (else the byte loops) */
	char word[LSN_TOKEN_MAX + 8]; /* 8 more: a word may be read 8 bytes at a time */
} lsn_tokenizer;

/* Start tokenizing text[0..len).  Returns 0, LSN_EINTERNAL (no C.UTF-8). */
int lsn_token_init(lsn_tokenizer *t, const char *text, size_t len);

/*
 * The next word: *word points into t (valid until the next call), *len is
 * its length in bytes.  Returns 1 for a word, 0 at the end.
 */
int lsn_token_next(lsn_tokenizer *t, const char **word, size_t *len);

/*
 * The same, with the word written to out instead (NUL-terminated; bytes
 * past the NUL may be written too, up to out[LSN_TOKEN_MAX + 8)).
 */
int lsn_token_next_into(lsn_tokenizer *t, char out[LSN_TOKEN_MAX + 8], size_t *len);

/* Big-endian integer helpers for on-disk encodings: inline, as they are
 * in every key comparison and block header (a call each cost the ingest
 * writer 1% of its time; inline, each is a byte-swapping load or store). */
static inline void
lsn_put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline void
lsn_put_be64(uint8_t *p, uint64_t v)
{
	lsn_put_be32(p, (uint32_t)(v >> 32));
	lsn_put_be32(p + 4, (uint32_t)v);
}

static inline uint32_t
lsn_get_be32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
	    ((uint32_t)p[2] << 8) | p[3];
}

static inline uint64_t
lsn_get_be64(const uint8_t *p)
{
	return ((uint64_t)lsn_get_be32(p) << 32) | lsn_get_be32(p + 4);
}

/*
 * The heap of a bulk process (common/heap.c).
 *
 * lsn_heap_keep() tells glibc to keep the memory this process frees for
 * its next allocations: no trimming of a heap's top, and blocks under
 * 32 MiB from the heap rather than from mappings of their own.  Call it
 * before reading input or opening anything.
 *
 * lsn_thp_mode() writes the kernel's transparent huge page mode ("always",
 * "madvise" or "never", the bracketed word of
 * /sys/kernel/mm/transparent_hugepage/enabled) into out; 0, or -1 with out
 * "" when it cannot be read.  The bench names it among the machine's
 * settings.
 */
void lsn_heap_keep(void);
int lsn_thp_mode(char *out, size_t len);

#endif
