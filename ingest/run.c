/*
 * ingest/run.c - bulk ingest: a reader thread splits the inputs into
 * documents, worker threads parse, validate, tokenize and seal them, and
 * this (the calling) thread is the one LMDB writer: it checks duplicates,
 * gathers postings and commits batches with their audit entries (the
 * workers help seal a batch's posting blocks).  Results are reported in
 * input order, a stored document only after its commit.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "ingest/ingest.h"

/* Documents in flight.  2,048 against 1,024 made a 100,000-report ingest
 * 3-5% faster (the workers wait less while the writer commits or merges).
 * It used to cost 27 MiB resident, too near the 256 MiB bound on the
 * bench's 1M CLI ingest, when a finished document held its pairs' blind
 * forms (36 bytes a pair, about 13 KiB a document); since they name their
 * words by number (8 bytes a pair, ingest/terms.c), 2,048 peak where
 * 1,024 did (205-207 against 202-212 MiB at 100k, 221 against 220 at 1M). */
#define QUEUE 2048
#define INFLIGHT_BYTES (64u << 20) /* input bytes in flight */
#define IDLE_COMMIT_MS 200         /* commit a partial batch when input stalls */
#define WORKER_WORDS (1u << 17)    /* a worker's dictionary; the run's has 2^18 */
#define DRAIN 64                   /* finished jobs the writer takes at once */
#define SPACE_WAKE (QUEUE / 4)     /* free slots that wake a waiting reader */
#define TAKE 4                     /* jobs a worker takes at once */
#define BUILD_TASKS 8              /* shares of a commit's posting blocks */
/* How much nicer than the thread that called ingest_run the workers run
 * (nice(2) steps, up to 19).  The reader, the writer and a merge are each
 * the one thread of their stage, and each sleeps until the workers have
 * done something for it; on two cores, at equal priority, a worker woken
 * or still running held the core it woke on for a while, and the stage
 * behind it waited.  Nicer, the workers yield the core at once: on the
 * 2-core VM a 100,000-report CLI ingest took 9.24-9.87 s against
 * 9.39-10.05 s (5 of 5 alternated runs faster, 7 of 8 in an earlier set;
 * the cores idle 1.4-1.5 against 1.9-2.2 core-seconds); 10,000 reports,
 * 0.89 against 0.90 s (medians of 6).  2 steps did about as well, 1 less,
 * SCHED_BATCH nothing.  That was 5 steps until 2026-12-07; then 15: a
 * merge (merge_main) runs beside a batch on a core it shares with a
 * worker, and at 5 steps it had three quarters of that core, took longer
 * than the batch, and the writer, its batch full, waited for it while
 * the workers, their queue full, waited for the writer.  At 15 (a
 * scheduler weight of 36 against 335, and 1024 at 0) a 100,000-report
 * CLI ingest left the cores idle 0.9-1.3 core-seconds against 1.1-1.7
 * (21 alternated pairs, less in all 21; faster in 14, the guest's speed
 * drifting by a fifth meanwhile); 10,000 reports, no merge, no change.
 * An analyst's queries, at their own priority, also go before a bulk
 * ingest's workers. */
#define WORKER_NICE 15

struct job {
	char *source;
	char *fallback_id;
	char *buf;
	size_t len;
	size_t bytes;        /* input size, also for rejected-unread inputs */
	size_t queued;       /* what it counts in run.inflight */
	char *pre_reject;    /* rejected before parsing (too large, unreadable) */
	int done;
	/* results */
	int rc;
	unsigned line;
	lsn_err err;
	char *id;
	char *fix_note;
	uint8_t fingerprint[STORE_BLIND_LEN];
	store_sealed *sealed;
	uint64_t serial;
	ingest_term *terms;  /* distinct (word, portion) pairs */
	size_t nterms;
	ingest_words *words; /* what the pairs' word numbers are in (a reference) */
	uint8_t *label;      /* the report label (ingest_rlabel) */
	size_t label_len;
};

struct run {
	store *st;
	const acl_data *data;
	ingest_parser *parser;
	const ingest_opts *opts;
	const char *const *paths;
	size_t npaths;
	ingest_entries *entries; /* numbered by workers, stored by the writer */
	ingest_blinds *blinds;   /* the workers' words, blinded once */

	pthread_mutex_t mu;
	pthread_cond_t work, done, space; /* for workers, the writer, the reader */
	struct job *ring[QUEUE];
	uint64_t head, next_work, tail; /* produced, taken by workers, written */
	size_t inflight;
	/* Who sleeps, so that a thread signals only one that waits: a wake-up
	 * per document (and the preemption it causes on two cores) cost more
	 * than the lock it is for. */
	unsigned idle_workers; /* waiting for work */
	int writer_waiting;    /* waiting for the job at the tail */
	int reader_waiting;    /* waiting for space in the queue */
	/* A commit's posting blocks, built in shares by the writer and by
	 * any worker free to help (before its next document): the writer
	 * would otherwise build them alone while the queue fills and the
	 * workers stop.  And a merge's slice, built the same way by the merge
	 * thread and the workers meanwhile.  Each set by its thread (run_tasks),
	 * taken under mu, the commit's first. */
	struct task_set *sets[2]; /* SET_COMMIT, SET_MERGE; NULL: none */
	pthread_cond_t built; /* their threads wait for their last share */
	int eof;     /* the reader has produced everything */
	int finished; /* the writer has no more shares to hand out */
	int stop;    /* the writer gave up: everyone stops */
	int read_rc; /* the reader's failure, if any */
	lsn_err read_err;
};

/* ---- jobs ---- */

static void
job_free(struct job *j)
{
	if (j == NULL)
		return;
	free(j->source);
	free(j->fallback_id);
	lsn_wipe_free(j->buf, j->len);
	free(j->pre_reject);
	free(j->id);
	free(j->fix_note);
	store_sealed_free(j->sealed);
	free(j->terms);
	ingest_words_release(j->words);
	free(j->label);
	free(j);
}

/* Queue a job; blocks while the queue is full.  Returns -1 when stopping. */
static int
produce(struct run *r, struct job *j)
{
	/* Its serial now, in input order (one reader produces): taken as
	 * sealing finished, it ordered same-date reports by how long each took
	 * to parse and seal, portions a reader may not see included. */
	j->serial = store_serial_take(r->st);
	pthread_mutex_lock(&r->mu);
	while (!r->stop && (r->head - r->tail == QUEUE ||
			       (r->inflight > INFLIGHT_BYTES && r->head != r->tail))) {
		r->reader_waiting = 1;
		pthread_cond_wait(&r->space, &r->mu);
		r->reader_waiting = 0;
	}
	if (r->stop) {
		pthread_mutex_unlock(&r->mu);
		job_free(j);
		return -1;
	}
	r->ring[r->head % QUEUE] = j;
	r->head++;
	j->queued = j->len; /* j->len is zeroed once the worker has parsed it */
	r->inflight += j->queued;
	if (r->idle_workers > 0)
		pthread_cond_signal(&r->work);
	pthread_mutex_unlock(&r->mu);
	return 0;
}

/*
 * Whether the reader, waiting for room in the queue, should be woken: a
 * quarter of the queue is free (and the bytes in flight allow more), or
 * the queue is empty.  Woken as soon as one slot was free, it read one
 * document a drain, and the reader, writer and workers took turns on the
 * lock and the two cores about once every 20 documents.  Called with
 * r->mu held.
 */
static int
reader_may_go(const struct run *r)
{
	return r->head == r->tail ||
	    (QUEUE - (r->head - r->tail) >= SPACE_WAKE && r->inflight <= INFLIGHT_BYTES);
}

static struct job *
new_job(const char *source, const char *fallback_id)
{
	struct job *j = calloc(1, sizeof(*j));

	if (j == NULL)
		return NULL;
	j->source = strdup(source);
	j->fallback_id = fallback_id ? strdup(fallback_id) : NULL;
	if (j->source == NULL || (fallback_id && j->fallback_id == NULL)) {
		job_free(j);
		return NULL;
	}
	return j;
}

/* ---- the reader ---- */

static size_t
max_doc(const struct run *r)
{
	return r->opts->parse.max_doc ? r->opts->parse.max_doc : INGEST_MAX_DOC;
}

/* The id a generic document falls back to: the file name without .xml. */
static char *
file_id(const char *path)
{
	const char *base = strrchr(path, '/');
	char *id;
	size_t n;

	base = base ? base + 1 : path;
	id = strdup(base);
	if (id != NULL && (n = strlen(id)) > 4 && strcmp(id + n - 4, ".xml") == 0)
		id[n - 4] = '\0';
	return id;
}

static int
read_file(struct run *r, const char *path)
{
	struct job *j;
	struct stat sb;
	char *fid = file_id(path);
	int fd;
	size_t cap = max_doc(r);

	j = new_job(path, fid);
	free(fid);
	if (j == NULL)
		return lsn_fail(&r->read_err, LSN_EINTERNAL, "out of memory");
	/* Not blocking: opening a FIFO waited for a writer for ever. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &sb) != 0) {
		char msg[300];
		snprintf(msg, sizeof(msg), "cannot read: %s", strerror(errno));
		j->pre_reject = strdup(msg);
	} else if (!S_ISREG(sb.st_mode)) {
		j->pre_reject = strdup("not a regular file");
	} else if ((size_t)sb.st_size > cap) {
		char msg[300];
		/* Refused unread: a 100 MB document costs nothing. */
		snprintf(msg, sizeof(msg), "document of %lld bytes is over the %zu-byte cap",
		    (long long)sb.st_size, cap);
		j->pre_reject = strdup(msg);
		j->bytes = (size_t)sb.st_size;
	} else if (fcntl(fd, F_SETFL, 0) != 0) {
		char msg[300];
		snprintf(msg, sizeof(msg), "cannot read: %s", strerror(errno));
		j->pre_reject = strdup(msg);
	} else if ((j->buf = malloc((size_t)sb.st_size + 1)) != NULL) {
		size_t got = 0;
		ssize_t n;
		while (got < (size_t)sb.st_size &&
		    (n = read(fd, j->buf + got, (size_t)sb.st_size - got)) > 0)
			got += (size_t)n;
		j->len = j->bytes = got;
		if (got != (size_t)sb.st_size)
			j->pre_reject = strdup("file changed or could not be read completely");
	} else {
		j->pre_reject = strdup("out of memory");
	}
	if (fd >= 0)
		close(fd);
	return produce(r, j) == 0 ? 0 : LSN_EIO;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* An input that is rejected unread: a directory or a file that cannot be
 * read (reported and audited as any rejected document, and the run goes
 * on). */
static int
reject_unread(struct run *r, const char *path, int errnum)
{
	struct job *j = new_job(path, NULL);
	char msg[300];

	if (j == NULL)
		return lsn_fail(&r->read_err, LSN_EINTERNAL, "out of memory");
	snprintf(msg, sizeof(msg), "cannot read: %s", strerror(errnum));
	if ((j->pre_reject = strdup(msg)) == NULL) {
		job_free(j);
		return lsn_fail(&r->read_err, LSN_EINTERNAL, "out of memory");
	}
	return produce(r, j) == 0 ? 0 : LSN_EIO;
}

/* Every *.xml below dir, in name order; symbolic links are not followed.
 * Each directory is closed before the ones in it are read, so that a deep
 * tree holds one open at a time. */
static int
read_dir(struct run *r, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;

	if (d == NULL)
		return reject_unread(r, dir, errno);
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			char **nn = realloc(names, cap * sizeof(*nn));
			if (nn == NULL) {
				rc = lsn_fail(&r->read_err, LSN_EINTERNAL, "out of memory");
				goto out;
			}
			names = nn;
		}
		if ((names[n] = malloc(strlen(dir) + strlen(e->d_name) + 2)) == NULL) {
			rc = lsn_fail(&r->read_err, LSN_EINTERNAL, "out of memory");
			goto out;
		}
		size_t dl = strlen(dir);
		while (dl > 1 && dir[dl - 1] == '/')
			dl--;
		sprintf(names[n++], "%.*s/%s", (int)dl, dir, e->d_name);
	}
	closedir(d);
	d = NULL;
	if (n > 1)
		qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct stat sb;
		size_t len = strlen(names[i]);
		int xml = len > 4 && strcmp(names[i] + len - 4, ".xml") == 0;
		if (lstat(names[i], &sb) != 0) {
			/* Say so rather than skip it without a word (a path over
			 * PATH_MAX, a name gone meanwhile). */
			rc = reject_unread(r, names[i], errno);
			continue;
		}
		if (S_ISLNK(sb.st_mode))
			continue;
		if (S_ISDIR(sb.st_mode))
			rc = read_dir(r, names[i]);
		else if (xml && S_ISREG(sb.st_mode))
			rc = read_file(r, names[i]);
	}
out:
	if (d != NULL)
		closedir(d);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

/* Document num of standard input, buf[0..len) (ingest_stream_io.emit). */
static int
emit_stdin_doc(struct run *r, const char *buf, size_t len, unsigned num, int oversize,
    size_t bytes, int whole)
{
	char source[64];
	struct job *j;

	snprintf(source, sizeof(source), "stdin#%u", num);
	if ((j = new_job(source, NULL)) == NULL)
		return lsn_fail(&r->read_err, LSN_EINTERNAL, "out of memory");
	j->bytes = bytes;
	if (oversize) {
		char msg[200];
		if (whole) /* its end seen: its size is known, as for a file */
			snprintf(msg, sizeof(msg), "document of %zu bytes is over the %zu-byte cap",
			    j->bytes, max_doc(r));
		else
			snprintf(msg, sizeof(msg), "document of more than %zu bytes is over the cap",
			    max_doc(r));
		j->pre_reject = strdup(msg);
	} else if ((j->buf = malloc(len + 1)) == NULL) {
		j->pre_reject = strdup("out of memory");
	} else {
		memcpy(j->buf, buf, len);
		j->len = len;
	}
	return produce(r, j) == 0 ? 0 : LSN_EIO;
}

/* Standard input, cut into documents (ingest/stream.c). */
struct stdin_split {
	struct run *r;
	unsigned num;
	size_t bytes; /* all that was read */
};

static ssize_t
read_fd0(void *ctx, char *buf, size_t n)
{
	struct stdin_split *sp = ctx;
	ssize_t got = read(0, buf, n);

	if (got > 0)
		sp->bytes += (size_t)got;
	return got;
}

static int
emit_split(void *ctx, const char *doc, size_t len, int oversize, size_t bytes, int whole)
{
	struct stdin_split *sp = ctx;

	return emit_stdin_doc(sp->r, doc, len, ++sp->num, oversize, bytes, whole);
}

#define READ_CHUNK (256u << 10)
static int
read_stdin(struct run *r)
{
	struct stdin_split sp = { .r = r };
	ingest_stream_io io = { .read = read_fd0, .emit = emit_split, .ctx = &sp,
		.cap = max_doc(r), .chunk = READ_CHUNK };

	int rc = ingest_stream_split(&io, "standard input", &r->read_err);

	/* Nothing but white space, or nothing at all (an upstream command
	 * that failed): rejected as an empty file is, and the run fails,
	 * rather than a run of no documents that looks like success. */
	if (rc == 0 && sp.num == 0)
		rc = emit_stdin_doc(r, "", 0, 1, 0, sp.bytes, 1);
	return rc;
}

static void *
reader_main(void *arg)
{
	struct run *r = arg;
	int rc = 0;

	pthread_setname_np(pthread_self(), "lsn-reader");

	for (size_t i = 0; i < r->npaths && rc == 0; i++) {
		struct stat sb;
		if (strcmp(r->paths[i], "-") == 0)
			rc = read_stdin(r);
		else if (stat(r->paths[i], &sb) == 0 && S_ISDIR(sb.st_mode))
			rc = read_dir(r, r->paths[i]);
		else
			rc = read_file(r, r->paths[i]);
	}
	pthread_mutex_lock(&r->mu);
	r->eof = 1;
	if (rc != 0 && r->read_rc == 0)
		r->read_rc = rc;
	pthread_cond_broadcast(&r->work);
	pthread_cond_signal(&r->done);
	pthread_mutex_unlock(&r->mu);
	return NULL;
}

/* ---- workers ---- */

/* The document's distinct (word, portion) pairs, copied into the job. */
static int
index_doc(ingest_terms *tm, const ingest_doc *d, struct job *j)
{
	const ingest_term *t;
	size_t n;
	int rc;

	if ((rc = ingest_terms_doc(tm, d, &t, &n, &j->words, &j->err)) != 0)
		return rc;
	if ((j->terms = malloc((n ? n : 1) * sizeof(*j->terms))) == NULL)
		return lsn_fail(&j->err, LSN_EINTERNAL, "out of memory");
	if (n > 0)
		memcpy(j->terms, t, n * sizeof(*t));
	j->nterms = n;
	return 0;
}

/*
 * Whether principal p may ingest document d: it may read every portion
 * (ingest_opts.reader).  0, or LSN_EDENIED naming the first portion it may
 * not read, its marking and the rule (*line: that portion's).
 */
static int
may_ingest(const acl_principal *p, const ingest_doc *d, unsigned *line, lsn_err *err)
{
	/* The stored portions, then the blank marked elements (containers):
	 * dropped before this check, one let an analyst without SI store what
	 * a TS//SI//NF container held (helper-26). */
	for (size_t i = 0; i < d->nportions + d->nblanks; i++) {
		const ingest_portion *q = i < d->nportions ? &d->portions[i]
							   : &d->blanks[i - d->nportions];
		struct acl_decision dec;
		const char *why = NULL;
		char *mark = NULL;
		if (acl_decide(p, q->marking, &dec) == ACL_DENY)
			why = acl_reason_text(dec.reason);
		else if (q->ntk != NULL && acl_ntk_check(p, q->ntk, NULL) != 1)
			why = acl_reason_text(ACL_R_NTK);
		if (why == NULL)
			continue;
		acl_marking_render(&mark, q->marking, ACL_PORTION, NULL);
		*line = q->line;
		lsn_fail(err, LSN_EDENIED, "%s may not ingest a report it may not read: "
		    "%s %zu %s: %s", acl_principal_name(p),
		    i < d->nportions ? "portion" : "blank marked element",
		    i < d->nportions ? i + 1 : i - d->nportions + 1, mark ? mark : "?", why);
		free(mark);
		return LSN_EDENIED;
	}
	return 0;
}

/* A job between prepare() and seal(): its document and record. */
struct prepared {
	ingest_doc *d;
	ingest_record rec;
};

/* Parse, validate, build the record and index the words of job j (its
 * failure in j->rc); what seal() needs is left in p. */
static void
prepare(struct run *r, ingest_terms *tm, struct job *j, struct prepared *p)
{
	ingest_parse_opts po = r->opts->parse;
	ingest_doc *d = NULL;
	ingest_record rec = { 0 };
	ingest_rlabel v;

	memset(p, 0, sizeof(*p));
	if (j->pre_reject != NULL) {
		j->rc = lsn_fail(&j->err, LSN_EINPUT, "%s", j->pre_reject);
		return;
	}
	if (tm == NULL) {
		j->rc = lsn_fail(&j->err, LSN_EINTERNAL, "out of memory");
		return;
	}
	po.fallback_id = j->fallback_id;
	po.rejected_id = &j->id; /* a rejected document's, when it was read */
	j->rc = ingest_parse(r->parser, j->buf, j->len, &po, &d, &j->line, &j->err);
	lsn_wipe_free(j->buf, j->len);
	j->buf = NULL;
	j->len = 0;
	if (j->rc != 0)
		goto out;
	if ((j->id = strdup(d->id)) == NULL) {
		j->rc = lsn_fail(&j->err, LSN_EINTERNAL, "out of memory");
		goto out;
	}
	if (r->opts->reader != NULL &&
	    (j->rc = may_ingest(r->opts->reader, d, &j->line, &j->err)) != 0)
		goto out;
	if (d->banner_fixed) {
		char *now = NULL, note[600];
		acl_marking_render(&now, d->banner, ACL_BANNER, NULL);
		snprintf(note, sizeof(note), "banner fixed: %s was written, %s stored",
		    d->old_banner ? d->old_banner : "?", now ? now : "?");
		free(now);
		j->fix_note = strdup(note);
	}
	if ((j->rc = ingest_record_build(&rec, r->st, r->entries, d, &j->err)) != 0)
		goto out;
	if (ingest_rlabel_view(&v, rec.label, rec.label_len) != 0) {
		j->rc = lsn_fail(&j->err, LSN_EINTERNAL, "built a malformed label");
		goto out;
	}
	memcpy(j->fingerprint, v.fingerprint, STORE_BLIND_LEN);
	if ((j->label = malloc(rec.label_len)) == NULL) {
		j->rc = lsn_fail(&j->err, LSN_EINTERNAL, "out of memory");
		goto out;
	}
	memcpy(j->label, rec.label, rec.label_len);
	j->label_len = rec.label_len;
	if ((j->rc = index_doc(tm, d, j)) != 0)
		goto out;
	p->d = d;
	p->rec = rec;
	return;
out:
	ingest_record_free(&rec);
	ingest_doc_free(d);
}

/* Compress and encrypt a prepared job's record; free what prepare() left. */
static void
seal(struct run *r, struct job *j, struct prepared *p)
{
	if (j->rc == 0 && p->d != NULL)
		j->rc = store_seal_record(r->st, p->d->id, p->rec.segs, p->rec.nseg,
		    p->rec.label, p->rec.label_len, &j->sealed, &j->serial, &j->err);
	ingest_record_free(&p->rec);
	ingest_doc_free(p->d);
	p->d = NULL;
}

/*
 * Whether the waiting writer should be woken: the job at the tail is done,
 * and so are the WAKE jobs behind it, or no more will come soon (the
 * workers have nothing queued, or the input has ended).  (A reader
 * waiting for room is not a reason: it waits for a quarter of the queue,
 * reader_may_go, while the workers still have the rest.)  A
 * writer woken for every document would take the core from a worker each
 * time.  Called with r->mu held.
 */
#define WAKE 16

static int
writer_ready(const struct run *r)
{
	uint64_t i;

	if (r->tail == r->head || !r->ring[r->tail % QUEUE]->done)
		return 0;
	if (r->next_work == r->head || r->eof)
		return 1;
	for (i = r->tail; i < r->head && i < r->tail + WAKE; i++)
		if (!r->ring[i % QUEUE]->done)
			return 0;
	return 1;
}

/*
 * A share of a commit's posting blocks: the words order[from, to) of the
 * batch, whose postings are in place in the bucketed list, sorted,
 * encoded and sealed into out (in the words' order).  Each share has its
 * own buffers, kept from batch to batch.
 */
struct word_order;
struct rep;
/* A batch's posting as commit() buckets it by word: its report (an index
 * into the batch's reports, which hold serial, date and where their
 * portions' entries are) above its portion (BUCKET_PORTION_BITS); the
 * share that encodes the word's block fills in the rest. */
typedef uint32_t bucketed;
#define BUCKET_PORTION_BITS 12
_Static_assert(INGEST_MAX_PORTIONS <= 1u << BUCKET_PORTION_BITS, "a portion index fits");
_Static_assert(INGEST_MAX_BATCH_DOCS < 1u << (32 - BUCKET_PORTION_BITS), "a report index fits");
struct build_task {
	const struct word_order *order;
	size_t from, to;
	const bucketed *run;
	const struct rep *reps;
	const uint32_t *pent;   /* the reports' portions' entries */
	const uint32_t *aud_of; /* entry -> its audience */
	uint64_t number;     /* the batch's posting batch number */
	store_blocks *out;
	/* A share of a merge's slice instead (ents not NULL): recent blocks
	 * [from, to) of ents, whole terms, merged into batch `number`. */
	const store_recent_ent *ents;
	store *st;
	int rc;
	lsn_err err;
};

/*
 * The buffers a share is built in: the building thread's (the writer's, a
 * worker's, a merge's), kept from share to share.  Each share had its own
 * until 2026-12-07: eight sets, each grown to the largest word it met,
 * where at most three threads build at once.  Per thread, CLI ingests
 * peaked lower: 10,000 reports 153-165 MiB against 173-175 (three runs
 * each), 100,000 206-212 against 212-215, 1,000,000 234 against 243.
 */
struct share_bufs {
	ingest_posting *gather; /* a word's postings, whole, for the encoder */
	size_t cap_gather;
	uint8_t *block;      /* plaintext of the block being sealed */
	size_t cap_block;
	uint32_t *ends;      /* and where its frames end */
	size_t cap_ends;
	ingest_block_scratch *scratch; /* the codec's buffers (NULL: none yet) */
	uint8_t **plain;     /* a merge's term's blocks opened */
	size_t *pcap, *plen, np;
};
static void share_bufs_free(struct share_bufs *sb);

static void build(struct build_task *t, struct share_bufs *sb);

/* A set of shares to build (run_tasks): the commit's or the merge's. */
struct task_set {
	struct build_task *t;
	unsigned n, next, left; /* shares, the next not taken, not built */
};
enum { SET_COMMIT, SET_MERGE };

/* Take a share of set k, if one is left, or (k < 0) of any set, the
 * commit's first; its set in *from.  With r->mu held. */
static struct build_task *
take_task(struct run *r, int k, struct task_set **from)
{
	for (int i = k < 0 ? 0 : k; i < (k < 0 ? 2 : k + 1); i++) {
		struct task_set *ts = r->sets[i];
		if (ts != NULL && ts->next < ts->n) {
			*from = ts;
			return &ts->t[ts->next++];
		}
	}
	return NULL;
}

/* A share of set ts is built.  With r->mu held. */
static void
task_done(struct run *r, struct task_set *ts)
{
	if (--ts->left == 0) /* the commit's thread, the merge's, or both wait */
		pthread_cond_broadcast(&r->built);
}

/* The calling thread `by` steps nicer than it is (up to 19).  On Linux a
 * thread has a niceness of its own, which setpriority() sets by thread
 * id; elsewhere nothing changes.  A refusal changes nothing and is no
 * error. */
static void
be_nicer(int by)
{
#ifdef __linux__
	id_t tid = (id_t)syscall(SYS_gettid);
	int cur;

	errno = 0;
	cur = getpriority(PRIO_PROCESS, tid);
	if (errno == 0)
		(void)setpriority(PRIO_PROCESS, tid, cur + by < 19 ? cur + by : 19);
#else
	(void)by;
#endif
}

static void *
worker_main(void *arg)
{
	struct run *r = arg;
	ingest_terms *tm = ingest_terms_new(r->st, r->blinds, WORKER_WORDS);
	struct job *mine[TAKE];
	struct prepared prep[TAKE];
	struct share_bufs sb = { 0 };
	size_t n = 0;

	pthread_setname_np(pthread_self(), "lsn-worker");
	be_nicer(WORKER_NICE);

	pthread_mutex_lock(&r->mu);
	for (;;) {
		/* Hand in the last jobs and take the next under one lock. */
		if (n > 0) {
			for (size_t i = 0; i < n; i++)
				mine[i]->done = 1;
			n = 0;
			if (r->writer_waiting && writer_ready(r))
				pthread_cond_signal(&r->done);
		}
		/* Past the input's end too: the last commits' shares are the
		 * workers' as well (alone, the writer built the last batch's
		 * blocks while both cores were free). */
		struct task_set *ts = NULL;
		struct build_task *t;
		while ((t = take_task(r, -1, &ts)) == NULL && !r->stop && !r->finished &&
		    r->next_work == r->head) {
			r->idle_workers++;
			if (r->writer_waiting && writer_ready(r))
				pthread_cond_signal(&r->done);
			pthread_cond_wait(&r->work, &r->mu);
			r->idle_workers--;
		}
		if (t != NULL) { /* a thread waits for it: before documents */
			pthread_mutex_unlock(&r->mu);
			build(t, &sb);
			pthread_mutex_lock(&r->mu);
			task_done(r, ts);
			continue;
		}
		if (r->stop || r->next_work == r->head)
			break; /* stopped, or finished */
		/* Up to TAKE queued jobs, whatever is there: one lock for them,
		 * and each stage runs over all of them in turn, its code and
		 * tables (zstd's dictionary among them) still in the cache.
		 * Against one job at a time, a 30,000-report CLI ingest took
		 * 4-6% less time and CPU over 16 alternated pairs (two builds),
		 * and a sixth to a fifth less system time (fewer futex calls and
		 * wake-ups). */
		while (n < TAKE && r->next_work != r->head)
			mine[n++] = r->ring[r->next_work++ % QUEUE];
		pthread_mutex_unlock(&r->mu);

		for (size_t i = 0; i < n; i++)
			prepare(r, tm, mine[i], &prep[i]);
		for (size_t i = 0; i < n; i++)
			seal(r, mine[i], &prep[i]);
		pthread_mutex_lock(&r->mu);
	}
	if (r->writer_waiting)
		pthread_cond_signal(&r->done);
	pthread_mutex_unlock(&r->mu);
	ingest_terms_free(tm);
	share_bufs_free(&sb);
	return NULL;
}

/* ---- the writer ---- */

/*
 * The batch's postings: a hash table of the distinct words (by their blind
 * form, which is uniformly random: its first 8 bytes are the hash) and a
 * flat list of their postings, report after report and portion after
 * portion (POST_PORTION; struct rep holds each report's serial and date).
 * At commit the list is bucketed by
 * word (a counting sort) and the words are sorted once: sorting every
 * posting by its 32-byte blind form cost more than the rest of the writer.
 * A posting's marking entry is its portion's, kept once a portion (pent),
 * not once a posting: with the bucketed copy (4 bytes a posting) a batch's
 * postings take 8 bytes each, not 24, which is most of what a batch of
 * 4,000 reports needs more than one of 2,000.
 */
struct word_acc {
	uint8_t blind[STORE_BLIND_LEN];
	uint32_t n;      /* postings of the word in this batch */
	uint32_t start;  /* at commit: its first posting in the bucketed list */
};

/* The batch's postings as take() adds them, report after report, portion
 * after portion: a word's number, each run of one portion's words after
 * the portion's number with POST_PORTION set.  4 bytes a posting (and one
 * a run, about 2 a portion) where a (word, portion) pair took 8: the
 * array of a 4,000-report batch grows to 8 MiB instead of 16. */
#define POST_PORTION 0x80000000u

/* A stored report of the batch: its postings are post[start, start + n),
 * its portions' marking entries pent[pent, pent + its portions). */
struct rep {
	uint64_t serial;
	uint32_t date;
	uint32_t start, n;
	uint32_t pent;
};

struct pending {
	struct job *job;
	int status;
	char *reason;
	int in_batch; /* a duplicate or clash of a report pending in this batch */
};

#define MONTHS 256 /* month words' blinds the writer keeps: 21 years */

struct writer {
	struct run *r;
	store_batch *b;
	store_snap *sn;
	uint8_t every[STORE_BLIND_LEN]; /* INGEST_EVERY_REPORT, blinded */
	struct month_blind {  /* month words (ingest_month_word), blinded */
		uint32_t ym;  /* YYYYMM; 0: empty */
		uint8_t blind[STORE_BLIND_LEN];
	} months[MONTHS];     /* by month number (month_blind) */
	struct pending *pend;
	size_t npend, cap_pend;
	size_t docs;       /* stored documents in the batch */
	size_t bytes;
	uint32_t *post;   /* the batch's postings (POST_PORTION) */
	size_t npost;     /* the postings in it */
	size_t nstream, cap_post; /* its length (postings and portions), room */
	uint32_t portion; /* the portion of the report's last posting */
	struct rep *reps;
	size_t nreps, cap_reps;
	uint32_t *pent;    /* the stored reports' portions' marking entries */
	size_t npent, cap_pent;
	/* The index head (ingest.h), as this run leaves it: the writer's
	 * commits and a merge's both change it, each under head_mu from the
	 * change until its commit is done, so that each commits every
	 * change committed before it. */
	uint8_t *head;
	size_t head_len;
	pthread_mutex_t head_mu;
	/* The merge of the recent batches, in a thread of its own (merge_main)
	 * beside the writer's batches (merge_start).  While it runs, what it
	 * touches (merged_upto, merging, slices_done, mb, mtasks, merge_rc,
	 * merge_err) is its own. */
	uint64_t merged_upto; /* batches after it are recent (store.h) */
	uint64_t merging;     /* a merge's number (0: none) */
	unsigned slices_done; /* of the merge into merging */
	size_t nrecent;       /* recent batches that hold blocks, after merging */
	size_t merge_after;   /* merge once this many are (ingest_merge_after) */
	pthread_t merger;
	int merger_running;
	int merge_finished;   /* merge_main is done (atomic) */
	int merge_rc;         /* its result, and error */
	lsn_err merge_err;
	store_batch *mb;      /* a merge's slice */
	struct build_task mtasks[BUILD_TASKS]; /* its shares */
	bucketed *run; /* commit's postings by word, kept between batches */
	size_t cap_run;
	struct word_order *order; /* commit's words in blind order, kept too */
	size_t cap_order;
	uint32_t *buckets;        /* sort_words' counts, kept too */
	struct build_task tasks[BUILD_TASKS]; /* commit's shares of the blocks */
	struct share_bufs bufs; /* the writer's, to build shares in */
	struct word_acc *words;
	size_t nwords, cap_words;
	uint32_t *slots;  /* word index + 1, 0 empty; nslots a power of two */
	size_t nslots;
	/* A cache in front of word_index: the batch's word of each word
	 * number (ingest_term) of generation num_gen, where num[x].at is
	 * num_stamp, which moves on with each batch and generation. */
	struct num_slot {
		uint32_t at, word;
	} *num;
	size_t num_cap;
	uint64_t num_gen;
	uint32_t num_stamp;
	uint32_t *ids;    /* the batch's stored ids: pending index + 1, 0 empty */
	size_t nids;      /* a power of two, over twice the pending count */
	ingest_idfilter *seen; /* the ids stored before this batch, or NULL */
	uint64_t lookups;      /* ids looked up in the store since seen was built */
	double lookup_s;       /* and the seconds they took */
	double scan_s_per_id;  /* a build's cost, measured once one was large */
	pthread_t trainer;     /* the dictionary's training (train_main) */
	int training;          /* trainer was started */
	/* Documents the store still needs before its dictionary is trained
	 * (UINT64_MAX: none is due).  The batch that holds them is committed
	 * then, whatever its size, so that training starts there: records
	 * sealed before the dictionary exists (at level 1) take about half as
	 * long again and come out half as large again.  This rule came in
	 * with 72e7864 and went out with 87fc8f6, whose extra commit then
	 * cost more than it saved; with the dictionary's fast strategy and
	 * quicker training it took 1.1% off a 10k ingest in process (12
	 * alternated pairs at e3e6a99, 8 faster) and 3% off its records' pages. */
	uint64_t dict_wait;
	uint32_t *aud_of;      /* entry -> its audience, for the entries queued */
	size_t cap_aud;
	ingest_summary *sum;
	uint64_t done_docs, done_bytes;
	struct timespec last_progress;
};

/* A blind form's hash in the batch's word table: its last 8 bytes (month
 * words share their first 28, ingest_blind()). */
static inline size_t
blind_hash(const uint8_t *blind)
{
	return (size_t)lsn_get_be64(blind + STORE_BLIND_LEN - 8);
}

/* Two blind forms are equal.  Their first 8 bytes are random for words
 * and tell two apart without a call to memcmp; month words share their
 * first 28 (ingest_blind()), so two of them go on to the memcmp. */
static inline int
same_blind(const uint8_t *a, const uint8_t *b)
{
	uint64_t x, y;

	memcpy(&x, a, 8);
	memcpy(&y, b, 8);
	return x == y && memcmp(a + 8, b + 8, STORE_BLIND_LEN - 8) == 0;
}

static size_t
slot_of(const struct writer *w, const uint8_t *blind)
{
	size_t mask = w->nslots - 1, i = blind_hash(blind) & mask;

	while (w->slots[i] != 0 && !same_blind(w->words[w->slots[i] - 1].blind, blind))
		i = (i + 1) & mask;
	return i;
}

/* The index of a word in the batch's table, added if new; -1: no memory. */
static long
word_index(struct writer *w, const uint8_t *blind)
{
	size_t i;

	if (2 * (w->nwords + 1) > w->nslots) {
		size_t n = w->nslots ? w->nslots * 2 : 1 << 15;
		uint32_t *old = w->slots;
		size_t oldn = w->nslots;
		if ((w->slots = lsn_table_alloc(n, sizeof(*w->slots))) == NULL) {
			w->slots = old;
			return -1;
		}
		w->nslots = n;
		for (size_t k = 0; k < oldn; k++)
			if (old[k] != 0)
				w->slots[slot_of(w, w->words[old[k] - 1].blind)] = old[k];
		free(old);
	}
	i = slot_of(w, blind);
	if (w->slots[i] != 0)
		return w->slots[i] - 1;
	if (w->nwords >= POST_PORTION) /* a word's number must not look like a portion's */
		return -1;
	if (w->nwords == w->cap_words) {
		size_t cap = w->cap_words ? w->cap_words * 2 : 16384;
		struct word_acc *p = realloc(w->words, cap * sizeof(*p));
		if (p == NULL)
			return -1;
		w->words = p;
		w->cap_words = cap;
	}
	memcpy(w->words[w->nwords].blind, blind, STORE_BLIND_LEN);
	w->words[w->nwords].n = 0;
	w->slots[i] = (uint32_t)(w->nwords + 1);
	return (long)w->nwords++;
}

/* Forget the batch words of every word number (the word table was
 * emptied, or the generation changed). */
static void
num_forget(struct writer *w)
{
	if (++w->num_stamp == 0) { /* 2^32 batches: stamps would repeat */
		if (w->num != NULL)
			memset(w->num, 0, w->num_cap * sizeof(*w->num));
		w->num_stamp = 1;
	}
}

/*
 * Ready the word table for the next batch.  Its words stay, their counts
 * zeroed, so that the next batch finds a word it shares with this one
 * (most of them, in a Zipf vocabulary) through the word-number cache,
 * without looking its blind form up in the table again: that lookup, two
 * or three cache misses a word and a batch, took 1.9% of a 100k ingest's
 * CPU, on the writer's path.  Past INGEST_WRITER_WORDS_KEEP words (a vocabulary
 * of ids or numbers) the table is emptied instead, so that it stays
 * bounded.
 */
size_t ingest__writer_words_keep = INGEST_WRITER_WORDS_KEEP;

static void
words_clear(struct writer *w)
{
	if (w->nwords > ingest__writer_words_keep) {
		w->nwords = 0;
		if (w->slots != NULL)
			memset(w->slots, 0, w->nslots * sizeof(*w->slots));
		num_forget(w);
		return;
	}
	for (size_t i = 0; i < w->nwords; i++)
		w->words[i].n = 0;
}

/* The batch's word of word number x of generation g, added if new (as
 * word_index); -1: no memory. */
static inline long
num_word(struct writer *w, const ingest_words *g, uint32_t x)
{
	long word;

	if (x < w->num_cap && w->num[x].at == w->num_stamp)
		return w->num[x].word;
	if ((word = word_index(w, ingest_words_blind(g, x))) < 0)
		return -1;
	if (x >= w->num_cap) {
		size_t cap = w->num_cap ? w->num_cap : 1 << 16;
		while (cap <= x)
			cap *= 2;
		struct num_slot *n = realloc(w->num, cap * sizeof(*n));
		if (n == NULL)
			return word; /* not cached */
		memset(n + w->num_cap, 0, (cap - w->num_cap) * sizeof(*n));
		w->num = n;
		w->num_cap = cap;
	}
	w->num[x].at = w->num_stamp;
	w->num[x].word = (uint32_t)word;
	return word;
}

/* Newest report first, as the blocks are written (ingest.h). */
static int
cmp_rep(const void *a, const void *b)
{
	const struct rep *x = a, *y = b;

	if (x->date != y->date)
		return x->date > y->date ? -1 : 1;
	return (x->serial < y->serial) - (x->serial > y->serial);
}

/* A word of the batch in blind order: the first 8 bytes of its blind form
 * (uniformly random) decide almost always. */
struct word_order {
	uint64_t key;
	const struct word_acc *w;
};

static int
cmp_word(const void *a, const void *b)
{
	const struct word_order *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return memcmp(x->w->blind, y->w->blind, STORE_BLIND_LEN);
}

/*
 * The batch's words (those of words[0..n) with postings in it) into order
 * in blind order; returns how many.  Their first 8 bytes
 * are uniformly random (but for the month words', alike in 28): counted
 * into buckets by their first 16 bits, about one word a bucket at a
 * batch's 60,000 words, placed, and each bucket sorted by insertion.
 * qsort took 1% of a 100k ingest's CPU, all on the writer's path.
 */
#define WORD_BUCKETS (1u << 16)
static size_t
sort_words(const struct word_acc *words, size_t n, struct word_order *order, uint32_t *count)
{
	memset(count, 0, (WORD_BUCKETS + 1) * sizeof(*count));
	for (size_t i = 0; i < n; i++)
		if (words[i].n > 0)
			count[(words[i].blind[0] << 8 | words[i].blind[1]) + 1]++;
	for (size_t b = 0; b < WORD_BUCKETS; b++)
		count[b + 1] += count[b];
	size_t nw = count[WORD_BUCKETS];
	for (size_t i = 0; i < n; i++) {
		if (words[i].n == 0)
			continue;
		struct word_order *o = &order[count[words[i].blind[0] << 8 | words[i].blind[1]]++];
		o->key = lsn_get_be64(words[i].blind);
		o->w = &words[i];
	}
	/* count[b] is now where bucket b + 1 starts. */
	for (size_t b = 0, from = 0; b < WORD_BUCKETS; from = count[b++])
		for (size_t i = from + 1; i < count[b]; i++) {
			struct word_order t = order[i];
			size_t k = i;
			while (k > from && cmp_word(&t, &order[k - 1]) < 0) {
				order[k] = order[k - 1];
				k--;
			}
			order[k] = t;
		}
	return nw;
}

static void
report(struct writer *w, struct pending *p)
{
	const ingest_opts *o = w->r->opts;
	ingest_result res = { p->job->source, p->job->line, p->job->id, p->status,
		p->reason, p->job->fix_note != NULL };

	if (p->status == INGEST_STORED) {
		w->sum->stored++;
		if (p->job->fix_note != NULL)
			res.reason = p->job->fix_note;
	} else if (p->status == INGEST_DUPLICATE)
		w->sum->duplicates++;
	else
		w->sum->rejected++;
	if (o->on_result != NULL)
		o->on_result(o->ctx, &res);
}

/* Report job j, which a stopped run never stored, and free it. */
static void
report_unstored(struct writer *w, struct job *j)
{
	struct pending p = { j, INGEST_REJECTED,
		(char *)"not stored: the run stopped before it was stored", 0 };

	report(w, &p);
	job_free(j);
}

static void pending_clear(struct writer *w);

/* The pending batch will not land: each document to be stored is not, and
 * so is each duplicate or clash of one of them (it was called already
 * there: a caller may have taken that for stored). */
static void
mark_unstored(struct writer *w, const char *reason)
{
	for (size_t i = 0; i < w->npend; i++) {
		if (w->pend[i].status != INGEST_STORED && !w->pend[i].in_batch)
			continue;
		w->pend[i].status = INGEST_REJECTED;
		free(w->pend[i].reason);
		w->pend[i].reason = strdup(reason);
	}
}

/* Report the pending batch's results, in input order, and clear it. */
static void
report_pending(struct writer *w)
{
	for (size_t i = 0; i < w->npend; i++)
		report(w, &w->pend[i]);
	pending_clear(w);
}

static void
pending_clear(struct writer *w)
{
	for (size_t i = 0; i < w->npend; i++) {
		job_free(w->pend[i].job);
		free(w->pend[i].reason);
	}
	w->npend = 0;
	w->docs = 0;
	w->bytes = 0;
	w->npost = 0;
	w->nstream = 0;
	w->nreps = 0;
	w->npent = 0;
	words_clear(w);
	if (w->ids != NULL)
		memset(w->ids, 0, w->nids * sizeof(*w->ids));
}

/* The slot of id in the batch's id table: where it is, or the empty slot
 * where it would go. */
static size_t
id_slot(const struct writer *w, const char *id)
{
	size_t mask = w->nids - 1, i = lsn_hash32(id, strlen(id)) & mask;

	while (w->ids[i] != 0 && strcmp(w->pend[w->ids[i] - 1].job->id, id) != 0)
		i = (i + 1) & mask;
	return i;
}

/* Remember that pending entry k (stored) has its id; -1: no memory. */
static int
id_add(struct writer *w, size_t k)
{
	if (2 * (w->npend + 1) > w->nids) {
		size_t n = w->nids ? 2 * w->nids : 4096, old = w->nids;
		uint32_t *o = w->ids;
		if ((w->ids = lsn_table_alloc(n, sizeof(*w->ids))) == NULL) {
			w->ids = o;
			return -1;
		}
		w->nids = n;
		for (size_t i = 0; i < old; i++)
			if (o[i] != 0)
				w->ids[id_slot(w, w->pend[o[i] - 1].job->id)] = o[i];
		free(o);
	}
	w->ids[id_slot(w, w->pend[k].job->id)] = (uint32_t)(k + 1);
	return 0;
}

static void merge_share(struct build_task *t, struct share_bufs *sb);

static void
build(struct build_task *t, struct share_bufs *sb)
{
	t->rc = 0;
	if (sb->scratch == NULL) /* else (out of memory) the codec's own, a call each */
		sb->scratch = ingest_block_scratch_new();
	if (t->ents != NULL) {
		merge_share(t, sb);
		return;
	}
	for (size_t i = t->from; i < t->to && t->rc == 0; i++) {
		const struct word_acc *wa = t->order[i].w;
		/* Bucketed report by report, newest first, and each report's in
		 * portion order (ingest_terms_doc cuts them so, and take() posts
		 * the pseudo-words after, in portion order too), a word's postings
		 * are in block order: the encoder checks it.  (An insertion sort
		 * that found nothing to move took 2% of a 10k ingest's CPU.) */
		const bucketed *b = t->run + wa->start - wa->n; /* start moved past it */
		size_t blen = 0, nends = 0;
		if (wa->n > sb->cap_gather) {
			lsn_wipe_free(sb->gather, sb->cap_gather * sizeof(*sb->gather));
			sb->cap_gather = wa->n + wa->n / 2;
			if ((sb->gather = malloc(sb->cap_gather * sizeof(*sb->gather))) == NULL) {
				sb->cap_gather = 0;
				t->rc = lsn_fail(&t->err, LSN_EINTERNAL, "out of memory");
				break;
			}
		}
		for (size_t k = 0; k < wa->n; k++) {
			ingest_posting *g = &sb->gather[k];
			const struct rep *rp = &t->reps[b[k] >> BUCKET_PORTION_BITS];
			g->serial = rp->serial;
			g->date = rp->date;
			g->portion = b[k] & ((1u << BUCKET_PORTION_BITS) - 1);
			g->entry = t->pent[rp->pent + g->portion];
			g->audience = t->aud_of[g->entry];
		}
		t->rc = ingest_block_encode(sb->gather, wa->n, sb->scratch, &sb->block,
		    &sb->cap_block, &blen, &sb->ends, &sb->cap_ends, &nends, &t->err);
		if (t->rc == 0)
			t->rc = store_blocks_put(t->out, t->number, wa->blind, sb->block, blen,
			    sb->ends, nends, &t->err);
	}
}

/*
 * Seal the batch's blocks, the words of order (all of them, in blind
 * order) in shares of about equal postings that the writer and the free
 * workers build at once, and queue them in the batch in that order.
 */
static int run_tasks(struct run *r, int k, struct build_task *tasks, unsigned n,
    store_batch *b, struct share_bufs *sb, lsn_err *err);

static int
build_blocks(struct writer *w, const struct word_order *order, size_t nw, lsn_err *err)
{
	struct run *r = w->r;
	uint64_t number;
	size_t per = w->npost / BUILD_TASKS + 1, acc = 0, from = 0;
	unsigned n = 0;

	if (nw == 0)
		return 0;
	number = store_batch_postings_number(w->b);
	for (size_t i = 0; i < nw; i++) {
		acc += order[i].w->n;
		if (i + 1 < nw && acc < per * (n + 1))
			continue;
		if (i + 1 < nw && n + 1 == BUILD_TASKS)
			continue; /* the last share takes the rest */
		struct build_task *t = &w->tasks[n++];
		if (t->out == NULL && (t->out = store_blocks_new(r->st)) == NULL)
			return lsn_fail(err, LSN_EINTERNAL, "out of memory");
		store_blocks_clear(t->out);
		t->ents = NULL;
		t->order = order;
		t->from = from;
		t->to = i + 1;
		t->run = w->run;
		t->reps = w->reps;
		t->pent = w->pent;
		t->aud_of = w->aud_of;
		t->number = number;
		from = i + 1;
	}
	return run_tasks(r, SET_COMMIT, w->tasks, n, w->b, &w->bufs, err);
}

/* Build the shares tasks[0..n), set k of the run, here (in this thread's
 * buffers, sb) and in the free workers, then add their blocks to batch b
 * in that order. */
static int
run_tasks(struct run *r, int k, struct build_task *tasks, unsigned n, store_batch *b,
    struct share_bufs *sb, lsn_err *err)
{
	struct task_set set = { tasks, n, 0, n }, *ts;
	int rc = 0;

	pthread_mutex_lock(&r->mu);
	r->sets[k] = &set;
	if (r->idle_workers > 0)
		pthread_cond_broadcast(&r->work);
	for (struct build_task *t; (t = take_task(r, k, &ts)) != NULL;) {
		pthread_mutex_unlock(&r->mu);
		build(t, sb);
		pthread_mutex_lock(&r->mu);
		task_done(r, ts);
	}
	while (set.left > 0)
		pthread_cond_wait(&r->built, &r->mu);
	r->sets[k] = NULL;
	pthread_mutex_unlock(&r->mu);
	for (unsigned i = 0; i < n && rc == 0; i++) {
		if ((rc = tasks[i].rc) != 0) {
			if (err != NULL)
				*err = tasks[i].err;
		} else {
			rc = store_batch_add_blocks(b, tasks[i].out, err);
		}
	}
	return rc;
}

/*
 * The store's zstd dictionary, trained beside the run once enough reports
 * are stored: inside a commit (the store's own way) it held the writer
 * 50-75 ms while the workers, their queue full, waited.  Records sealed
 * meanwhile go without it, as every record sealed before it does.
 */
static void *
train_main(void *arg)
{
	pthread_setname_np(pthread_self(), "lsn-dict");
	store_dict_train_due(arg);
	return NULL;
}

/* Train the store's dictionary beside the run if it is due; otherwise
 * note how many more stored documents make it due (w->dict_wait). */
static void
start_training(struct writer *w)
{
	store *st = w->r->st;
	uint64_t wait;

	w->dict_wait = UINT64_MAX;
	if (w->training || (wait = store_dict_wait(st)) == UINT64_MAX)
		return; /* trained, training, or none will be */
	if (wait > 0)
		w->dict_wait = wait;
	else if (pthread_create(&w->trainer, NULL, train_main, st) == 0)
		w->training = 1;
	else
		store_dict_train_due(st); /* no thread: here, then */
}

/* The index head as the store has it (the run holds the writer lock, so
 * only this run changes it), and which batches are recent.  With no merge
 * running. */
static int
load_head(store *st, struct writer *w, lsn_err *err)
{
	store_snap *sn = NULL;
	uint32_t date;
	uint64_t serial;
	int rc;

	if ((rc = store_snap_begin(st, &sn, err)) != 0)
		return rc;
	lsn_wipe_free(w->head, w->head_len);
	w->head = NULL;
	w->head_len = 0;
	rc = ingest_head_read(sn, &w->head, &w->head_len, err);
	w->merged_upto = store_postings_merged_upto(sn);
	if (!store_postings_merging(sn, &w->merging, &w->slices_done))
		w->merging = w->slices_done = 0;
	store_snap_end(sn);
	w->nrecent = 0; /* a merge left unfinished has its own; those after are recent */
	for (uint64_t b = (w->merging ? w->merging : w->merged_upto) + 1;
	     b <= w->head_len / INGEST_HEAD_ENTRY; b++)
		w->nrecent += ingest_head_get(w->head, w->head_len, b, &date, &serial);
	return rc;
}

/* Room in the head for batch number b; 0 or -1. */
static int
head_room(struct writer *w, uint64_t b)
{
	size_t need = INGEST_HEAD_ENTRY * b;

	if (need > w->head_len) {
		uint8_t *h = realloc(w->head, need);
		if (h == NULL)
			return -1;
		memset(h + w->head_len, 0, need - w->head_len);
		w->head = h;
		w->head_len = need;
	}
	return 0;
}

/* What a merge share opened and built, given back when it is done: a
 * common word's blocks take megabytes, and a thread's buffers keep the
 * largest they met. */
static void
merge_buffers_free(struct share_bufs *sb)
{
	for (size_t q = 0; q < sb->np; q++)
		lsn_wipe_free(sb->plain[q], sb->pcap[q]);
	free(sb->plain);
	free(sb->pcap);
	free(sb->plen);
	sb->np = 0;
	sb->plain = NULL;
	sb->pcap = sb->plen = NULL;
	if (sb->cap_block > (1u << 20)) { /* a batch's blocks are smaller */
		lsn_wipe_free(sb->block, sb->cap_block);
		sb->block = NULL;
		sb->cap_block = 0;
	}
}

/* Everything a thread's share buffers hold, wiped and freed. */
static void
share_bufs_free(struct share_bufs *sb)
{
	merge_buffers_free(sb);
	lsn_wipe_free(sb->block, sb->cap_block);
	lsn_wipe_free(sb->gather, sb->cap_gather * sizeof(*sb->gather));
	free(sb->ends);
	ingest_block_scratch_free(sb->scratch);
	memset(sb, 0, sizeof(*sb));
}

/* A merge task: the terms of ents[from, to), opened, merged and sealed
 * into t->out under batch t->number. */
static void
merge_share(struct build_task *t, struct share_bufs *sb)
{
	for (size_t i = t->from, j; i < t->to && t->rc == 0; i = j) {
		size_t len = 0, nends = 0;
		for (j = i + 1; j < t->to &&
		     memcmp(t->ents[j].key + 8, t->ents[i].key + 8, STORE_BLIND_LEN) == 0;)
			j++;
		if (j - i > sb->np) {
			size_t nn = j - i;
			uint8_t **pp = realloc(sb->plain, nn * sizeof(*pp));
			size_t *pc = pp ? realloc(sb->pcap, nn * sizeof(*pc)) : NULL;
			size_t *pl = pc ? realloc(sb->plen, nn * sizeof(*pl)) : NULL;
			if (pp)
				sb->plain = pp;
			if (pc)
				sb->pcap = pc;
			if (pl == NULL) {
				t->rc = lsn_fail(&t->err, LSN_EINTERNAL, "out of memory");
				break;
			}
			sb->plen = pl;
			for (size_t q = sb->np; q < nn; q++) {
				sb->plain[q] = NULL;
				sb->pcap[q] = 0;
			}
			sb->np = nn;
		}
		for (size_t q = i; q < j && t->rc == 0; q++)
			t->rc = store_block_open(t->st, &t->ents[q], &sb->plain[q - i],
			    &sb->pcap[q - i], &sb->plen[q - i], &t->err);
		if (t->rc == 0)
			t->rc = ingest_block_merge((const uint8_t *const *)sb->plain, sb->plen, j - i,
			    sb->scratch, &sb->block, &sb->cap_block, &len, &sb->ends, &sb->cap_ends,
			    &nends, &t->err);
		if (t->rc == 0)
			t->rc = store_blocks_put(t->out, t->number, t->ents[i].key + 8, sb->block,
			    len, sb->ends, nends, &t->err);
	}
	merge_buffers_free(sb);
}

/*
 * Merge the recent batches before w->merging into it (merge_start took
 * its number): slice by slice of the terms (store.h), each slice's blocks
 * built in shares by this thread and the free workers and committed on
 * its own.  The first slice puts the merge's number on the head with the
 * newest report among its batches; the last takes theirs off.  The
 * writer's batches committed meanwhile are numbered after it, and stay
 * recent.
 */
static int
merge_run(struct writer *w, struct share_bufs *sb, lsn_err *err)
{
	struct run *r = w->r;
	uint32_t date, nd = 0;
	uint64_t serial, ns = 0;
	int rc = 0;

	if (w->mb == NULL && (rc = store_batch_new(r->st, &w->mb, err)) != 0)
		return rc;
	pthread_mutex_lock(&w->head_mu);
	for (uint64_t b = w->merged_upto + 1; b < w->merging; b++)
		if (ingest_head_get(w->head, w->head_len, b, &date, &serial) &&
		    (ns == 0 || date > nd || (date == nd && serial > ns))) {
			nd = date;
			ns = serial;
		}
	pthread_mutex_unlock(&w->head_mu);
	for (unsigned slice = w->slices_done; slice < STORE_MERGE_SLICES && rc == 0; slice++) {
		store_snap *sn = NULL;
		store_recent rs = { 0 };
		store_recent_ent *ents;
		size_t n, per, from = 0;
		unsigned nt = 0;
		if ((rc = store_snap_begin(r->st, &sn, err)) != 0 ||
		    (rc = store_recent_slice(sn, slice, w->merging, &rs, err)) != 0 ||
		    (rc = store_batch_merge_slice(w->mb, &w->merging, slice, err)) != 0) {
			store_recent_free(&rs);
			store_snap_end(sn);
			break;
		}
		ents = rs.e;
		n = rs.n;
		/* Shares of whole terms and about equal bytes: the work, and the
		 * sealed blocks each share holds until the commit. */
		size_t total = 0, acc = 0;
		for (size_t i = 0; i < n; i++)
			total += ents[i].len;
		per = total / BUILD_TASKS + 1;
		for (size_t i = 0; i < n; i++) {
			acc += ents[i].len;
			if (i + 1 < n && (acc < per * (nt + 1) || nt + 1 == BUILD_TASKS ||
				memcmp(ents[i + 1].key + 8, ents[i].key + 8, STORE_BLIND_LEN) == 0))
				continue;
			struct build_task *t = &w->mtasks[nt++];
			if (t->out == NULL && (t->out = store_blocks_new(r->st)) == NULL) {
				rc = lsn_fail(err, LSN_EINTERNAL, "out of memory");
				break;
			}
			store_blocks_clear(t->out);
			t->ents = ents;
			t->st = r->st;
			t->from = from;
			t->to = i + 1;
			t->number = w->merging;
			from = i + 1;
		}
		if (rc == 0)
			rc = run_tasks(r, SET_MERGE, w->mtasks, nt, w->mb, sb, err);
		store_snap_end(sn); /* the blocks are copied out (sealed) */
		store_recent_free(&rs);
		if (rc != 0)
			break;
		/* The head as the writer's last commit left it, changed and
		 * committed with no commit of the writer's between; as it was if
		 * the commit fails. */
		pthread_mutex_lock(&w->head_mu);
		size_t saved_len = w->head_len;
		uint8_t *saved = malloc(saved_len + 1);
		if (saved == NULL || head_room(w, w->merging) != 0)
			rc = lsn_fail(err, LSN_EINTERNAL, "out of memory");
		else
			memcpy(saved, w->head, saved_len);
		if (rc == 0 && slice == 0) {
			lsn_put_be32(w->head + INGEST_HEAD_ENTRY * (w->merging - 1), nd);
			lsn_put_be64(w->head + INGEST_HEAD_ENTRY * (w->merging - 1) + 4, ns);
		}
		if (rc == 0 && slice + 1 == STORE_MERGE_SLICES)
			for (uint64_t b = w->merged_upto + 1; b < w->merging; b++)
				memset(w->head + INGEST_HEAD_ENTRY * (b - 1), 0, INGEST_HEAD_ENTRY);
		if (rc == 0)
			rc = store_batch_put_index_head(w->mb, w->head, w->head_len, err);
		if (rc == 0 && ingest__merge_fail_slice == slice + 1)
			rc = lsn_fail(err, LSN_EIO, "merge slice %u: a test's failure", slice);
		if (rc == 0)
			rc = store_batch_commit(w->mb, err);
		if (rc != 0 && saved != NULL) {
			memcpy(w->head, saved, saved_len);
			memset(w->head + saved_len, 0, w->head_len - saved_len);
		}
		pthread_mutex_unlock(&w->head_mu);
		lsn_wipe_free(saved, saved_len + 1); /* opened index contents */
		if (rc == 0)
			w->slices_done = slice + 1;
	}
	if (rc == 0) {
		w->merged_upto = w->merging;
		w->merging = 0;
		w->slices_done = 0;
	} else { /* what the failed slice queued goes with it */
		store_batch_free(w->mb);
		w->mb = NULL;
	}
	return rc;
}

size_t ingest__merge_reports = INGEST_MERGE_REPORTS;
size_t ingest__merges_beside;
unsigned ingest__merge_fail_slice;

size_t
ingest_merge_after(size_t batch_docs)
{
	size_t n = ingest__merge_reports / (batch_docs ? batch_docs : 1);

	return n < 2 ? 2 : n > INGEST_MERGE_BATCHES ? INGEST_MERGE_BATCHES : n;
}

/*
 * The merge of the recent batches runs in a thread of its own, started
 * by the writer once merge_after batches are recent: it reads, merges and
 * commits its slices while the writer takes the next batches' documents,
 * builds their blocks and commits them.  Until 2026-12-07 the next commit
 * waited for it (its batch's blocks went to the recent databases a slice
 * emptied): at 1,000,000 reports, 31 merges held the writer 235-760 ms
 * each, about 18 s of a 136 s ingest.  A slice now empties them of the
 * merge's batches only (store.h).  Inside a commit, as until 2026-12-06,
 * the workers prepared documents only until the queue was full, then
 * waited for each slice's serial parts (its read and its commit).
 */
static void *
merge_main(void *arg)
{
	struct writer *w = arg;
	struct share_bufs sb = { 0 };

	pthread_setname_np(pthread_self(), "lsn-merge");
	w->merge_rc = merge_run(w, &sb, &w->merge_err);
	share_bufs_free(&sb);
	__atomic_store_n(&w->merge_finished, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* Wait for the merge, if one runs: its result. */
static int
merge_join(struct writer *w, lsn_err *err)
{
	int rc;

	if (!w->merger_running)
		return 0;
	pthread_join(w->merger, NULL);
	w->merger_running = 0;
	if ((rc = w->merge_rc) != 0 && err != NULL)
		*err = w->merge_err;
	w->merge_rc = 0;
	return rc;
}

/* A merge is due (the writer's view: while one runs, the next). */
static int
merge_due(const struct writer *w)
{
	return w->nrecent >= w->merge_after || (!w->merger_running && w->merging != 0);
}

/*
 * Start the merge that is due, if none runs: a new one's number is taken
 * first, so that every batch after it is numbered after it (the batch
 * being taken has none yet).  With no thread, it runs here if `here`,
 * else is left for the next commit.
 */
static int
merge_start(struct writer *w, int here, lsn_err *err)
{
	if (w->merger_running || !merge_due(w))
		return 0;
	if (store_batch_number(w->b) != 0)
		return lsn_fail(err, LSN_EINTERNAL, "a merge started with a batch numbered");
	if (w->merging == 0) {
		w->merging = store_merge_number(w->r->st);
		w->slices_done = 0;
		w->nrecent = 0; /* they are the merge's */
	}
	w->merge_finished = 0;
	if (pthread_create(&w->merger, NULL, merge_main, w) == 0) {
		w->merger_running = 1;
		__atomic_add_fetch(&ingest__merges_beside, 1, __ATOMIC_RELAXED);
		return 0;
	}
	return here ? merge_run(w, &w->bufs, err) : 0;
}

/* Add the batch's postings, one block per word, and commit everything;
 * start the merge of the recent batches once they are due, beside this
 * batch or, with more (documents may follow), the next. */
static int
commit(struct writer *w, int more, lsn_err *err)
{
	const acl_data *data = w->r->data;
	bucketed *run;
	int rc = 0, head_locked = 0;

	store_snap_end(w->sn); /* no snapshot may be held across a commit */
	w->sn = NULL;
	if (w->npend == 0)
		return 0;
	/* Bucket the postings by word, then walk the words in blind order (so
	 * the batch's keys are written in order, at the end of the tree). */
	/* Both kept between batches: their pages are faulted in once. */
	if (w->nwords > w->cap_order) {
		size_t cap = w->nwords + w->nwords / 4;
		struct word_order *o = realloc(w->order, cap * sizeof(*o));
		if (o != NULL) {
			w->order = o;
			w->cap_order = cap;
		}
	}
	if (w->run == NULL || w->npost > w->cap_run) {
		lsn_wipe_free(w->run, w->cap_run * sizeof(*w->run));
		w->cap_run = w->npost + w->npost / 4 + 1024;
		if ((w->run = malloc(w->cap_run * sizeof(*w->run))) == NULL)
			w->cap_run = 0;
	}
	if (w->buckets == NULL)
		w->buckets = malloc((WORD_BUCKETS + 1) * sizeof(*w->buckets));
	struct word_order *order = w->order;
	if (w->run == NULL || w->nwords > w->cap_order || w->buckets == NULL) {
		rc = lsn_fail(err, LSN_EINTERNAL, "out of memory");
		goto done;
	}
	run = w->run;
	uint32_t at = 0;
	for (size_t i = 0; i < w->nwords; i++) {
		w->words[i].start = at;
		at += w->words[i].n;
	}
	/* Report by report, newest first: each word's bucket comes out in the
	 * blocks' order. */
	if (w->nreps > 1)
		qsort(w->reps, w->nreps, sizeof(*w->reps), cmp_rep);
	for (size_t r = 0; r < w->nreps; r++) {
		size_t from = w->reps[r].start, to = from + w->reps[r].n;
		uint32_t rp = (uint32_t)r << BUCKET_PORTION_BITS;
		for (size_t i = from; i < to; i++) {
			uint32_t v = w->post[i];
			/* Scattered reads and writes: fetch them ahead, as in take(). */
			if (i + 16 < to && !(w->post[i + 16] & POST_PORTION))
				__builtin_prefetch(&w->words[w->post[i + 16]]);
			if (i + 8 < to && !(w->post[i + 8] & POST_PORTION))
				__builtin_prefetch(&run[w->words[w->post[i + 8]].start], 1);
			if (v & POST_PORTION) {
				rp = (uint32_t)r << BUCKET_PORTION_BITS | (v & ~POST_PORTION);
				continue;
			}
			struct word_acc *wa = &w->words[v];
			run[wa->start++] = rp;
		}
	}
	size_t nw = sort_words(w->words, w->nwords, order, w->buckets);
	/* A merge that failed: this batch is not stored, the run stops.  One
	 * due while the last still runs waits for it (the merges fall behind
	 * the batches: the writer waits rather than let recent batches pile
	 * up), and one not started beside a batch (left by a crash or by the
	 * run before, or no thread) starts here, beside this one. */
	if (w->merger_running &&
	    (w->nrecent >= w->merge_after || __atomic_load_n(&w->merge_finished, __ATOMIC_ACQUIRE)))
		rc = merge_join(w, err);
	if (rc == 0 && nw > 0)
		rc = merge_start(w, 1, err);
	if (rc != 0)
		goto done;
	if ((rc = build_blocks(w, order, nw, err)) != 0)
		goto done;
	/* The head, this batch's newest report (the first after the sort) on
	 * it, changed and committed under head_mu: as merge_run() does. */
	uint64_t number = store_batch_number(w->b);
	pthread_mutex_lock(&w->head_mu);
	head_locked = 1;
	if (number > 0 && w->nreps > 0) {
		size_t hat = INGEST_HEAD_ENTRY * (number - 1);
		if (head_room(w, number) != 0) {
			rc = lsn_fail(err, LSN_EINTERNAL, "out of memory");
			goto done;
		}
		lsn_put_be32(w->head + hat, w->reps[0].date);
		lsn_put_be64(w->head + hat + 4, w->reps[0].serial);
		w->nrecent++;
		rc = store_batch_put_index_head(w->b, w->head, w->head_len, err);
	}
	if (rc == 0)
		rc = store_batch_put_meta(w->b, "data/acl-version", acl_data_version(data),
		    strlen(acl_data_version(data)), err);
	if (rc == 0)
		rc = store_batch_put_meta(w->b, "data/index-format", INGEST_INDEX_FORMAT,
		    strlen(INGEST_INDEX_FORMAT), err);
	if (rc == 0)
		rc = store_batch_commit(w->b, err);
done:
	if (head_locked)
		pthread_mutex_unlock(&w->head_mu);
	if (rc == 0)
		start_training(w);
	if (rc == 0 && more)
		(void)merge_start(w, 0, NULL); /* no thread: the next commit's */
	if (rc == 0 && w->seen != NULL) /* the filter holds what the store holds */
		for (size_t i = 0; i < w->npend; i++)
			if (w->pend[i].status == INGEST_STORED)
				ingest_idfilter_add(w->seen, w->pend[i].job->id,
				    strlen(w->pend[i].job->id));
	if (rc != 0) {
		lsn_err lerr;
		/* The head as the store still has it, once the merge is done
		 * (the run stops: it is not waited for otherwise). */
		(void)merge_join(w, NULL);
		if (load_head(w->r->st, w, &lerr) != 0) {
			lsn_wipe_free(w->head, w->head_len);
			w->head = NULL;
			w->head_len = 0;
			w->nrecent = 0;
		}
		mark_unstored(w, "not stored: the store could not be written");
	}
	report_pending(w);
	return rc;
}

/* Job j is pending (reported at the next commit, freed by pending_clear);
 * on failure it is not, and stays the caller's. */
static int
pending_add(struct writer *w, struct job *j, int status, const char *reason, lsn_err *err)
{
	if (w->npend == w->cap_pend) {
		size_t cap = w->cap_pend ? w->cap_pend * 2 : 256;
		struct pending *p = realloc(w->pend, cap * sizeof(*p));
		if (p == NULL)
			return lsn_fail(err, LSN_EINTERNAL, "out of memory");
		w->pend = p;
		w->cap_pend = cap;
	}
	w->pend[w->npend].job = j;
	w->pend[w->npend].status = status;
	w->pend[w->npend].reason = reason ? strdup(reason) : NULL;
	w->pend[w->npend].in_batch = 0;
	w->npend++;
	return 0;
}

/*
 * Whether to build the filter of stored ids (again): when there is none, or
 * it is full, and this run has spent on looking ids up one by one what
 * reading the whole id index in order would cost (ingest_idfilter_worth_
 * building).  A run into an empty store builds it after
 * INGEST_IDFILTER_AFTER ids; a small run into a large store never does.
 */
static int
want_filter(struct writer *w)
{
	if (w->seen != NULL && !ingest_idfilter_full(w->seen))
		return 0;
	return ingest_idfilter_worth_building(store_record_count(w->sn), w->lookups,
	    w->lookup_s, w->scan_s_per_id);
}

static double
seconds_since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t->tv_sec) + (double)(now.tv_nsec - t->tv_nsec) / 1e9;
}

/* Is id already stored (or earlier in this batch)?  0 no, 1 same content,
 * 2 different content, 3 a stored report with this id whose label cannot be
 * read; a negative lsn_status when the store cannot be read at all. */
static int
existing(struct writer *w, struct job *j, int *in_batch, lsn_err *err)
{
	int rc;
	const uint8_t *label;
	size_t ll;
	ingest_rlabel v;
	struct timespec t;

	*in_batch = 0;
	if (w->nids > 0) {
		size_t i = id_slot(w, j->id);
		if (w->ids[i] != 0) {
			*in_batch = 1;
			return memcmp(w->pend[w->ids[i] - 1].job->fingerprint, j->fingerprint,
				   STORE_BLIND_LEN) == 0 ? 1 : 2;
		}
	}
	if (w->sn == NULL) {
		if ((rc = store_snap_begin(w->r->st, &w->sn, err)) != 0)
			return rc;
		store_snap_bulk(w->sn); /* ids in any order: keep the map bounded */
	}
	if (want_filter(w)) {
		uint64_t stored = store_record_count(w->sn);
		/* The old filter goes first: the build reads the store, not
		 * it, and the two at once added the old one to a long run's
		 * peak. */
		ingest_idfilter_free(w->seen);
		w->seen = NULL;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((rc = ingest_idfilter_build(&w->seen, w->sn, err)) != 0)
			return rc;
		if (stored >= 65536) /* smaller builds are mostly fixed costs */
			w->scan_s_per_id = seconds_since(&t) / (double)stored;
		w->lookups = 0;
		w->lookup_s = 0;
	}
	if (w->seen != NULL && !ingest_idfilter_may_hold(w->seen, j->id, strlen(j->id)))
		return 0; /* certain: not stored */
	w->lookups++;
	clock_gettime(CLOCK_MONOTONIC, &t);
	rc = store_record_peek(w->sn, j->id, NULL, &label, &ll, NULL);
	w->lookup_s += seconds_since(&t);
	if (rc == LSN_ENOTFOUND)
		return 0;
	if (rc != 0 || ingest_rlabel_view(&v, label, ll) != 0)
		return 3;
	return memcmp(v.fingerprint, j->fingerprint, STORE_BLIND_LEN) == 0 ? 1 : 2;
}

static int
audit_job(struct writer *w, struct job *j, const char *outcome, const char *reason,
    lsn_err *err)
{
	const char *objs[1] = { j->id };
	/* The whole path: 300 bytes cut a long one before its file name. */
	size_t wl = strlen(j->source) + 16;
	char *where = malloc(wl);
	store_audit_event e = { 0 };
	int rc;

	if (where == NULL)
		return lsn_fail(err, LSN_EINTERNAL, "out of memory");
	if (j->line)
		snprintf(where, wl, "%s:%u", j->source, j->line);
	else
		snprintf(where, wl, "%s", j->source);
	e.principal = w->r->opts->principal;
	e.action = "CREATE";
	e.outcome = outcome;
	e.objects = objs;
	e.nobjects = j->id ? 1 : 0;
	e.reason = reason;
	e.detail = where;
	e.hits = e.withheld = -1;
	rc = store_batch_audit_event(w->b, &e, err);
	free(where);
	return rc;
}

/* A posting of word in portion of the report being taken; 0, or -1 when
 * out of memory. */
static int
add_posting(struct writer *w, uint32_t word, uint32_t portion)
{
	if (w->cap_post - w->nstream < 2) {
		size_t cap = w->cap_post ? w->cap_post * 2 : 65536;
		uint32_t *p = realloc(w->post, cap * sizeof(*p));
		if (p == NULL)
			return -1;
		w->post = p;
		w->cap_post = cap;
	}
	if (portion != w->portion) {
		w->post[w->nstream++] = POST_PORTION | portion;
		w->portion = portion;
	}
	w->words[word].n++;
	w->post[w->nstream++] = word;
	w->npost++;
	return 0;
}

/* The blind form of the month word of date (YYYYMMDD, not 0), from the
 * writer's cache, where any MONTHS consecutive months have slots of their
 * own.  (Keyed by YYYYMM modulo 64 until 2026-12-05, 32 of the bench's 72
 * months shared a slot with another and took turns in it: a fifth of the
 * reports cost two keyed hashes, 0.4% of a 100k ingest's CPU, on the
 * writer's path.) */
static const uint8_t *
month_blind(struct writer *w, uint32_t date)
{
	struct month_blind *m = &w->months[(date / 10000 * 12 + date / 100 % 100) % MONTHS];
	char text[INGEST_MONTH_WORD_MAX];
	size_t n;

	if (m->ym != date / 100) {
		if ((n = ingest_month_word(date, text)) == 0)
			return NULL;
		ingest_blind(w->r->st, text, n, m->blind);
		m->ym = date / 100;
	}
	return m->blind;
}

/* Array p of *cap elements of size bytes, with room for need of them:
 * p, or p grown (doubling its capacity, from first); NULL when out of
 * memory (p and *cap are as they were). */
static void *
grow_to(void *p, size_t *cap, size_t need, size_t size, size_t first)
{
	size_t c = *cap ? *cap : first;
	void *n;

	if (p != NULL && need <= *cap)
		return p;
	while (c < need)
		c *= 2;
	if ((n = realloc(p, c * size)) == NULL)
		return NULL;
	*cap = c;
	return n;
}

/* Take one finished job into the batch.  On failure the job is not
 * pending, and the caller frees it. */
static int
take(struct writer *w, struct job *j, lsn_err *err)
{
	int rc, same, in_batch;

	w->done_docs++;
	w->done_bytes += j->bytes;
	w->sum->bytes += j->bytes;
	if (j->rc != 0) {
		if ((rc = audit_job(w, j, "FAILURE", j->err.msg, err)) != 0)
			return rc;
		return pending_add(w, j, INGEST_REJECTED, j->err.msg, err);
	}
	if ((same = existing(w, j, &in_batch, err)) < 0)
		return same;
	if (same == 1) {
		if ((rc = audit_job(w, j, "SUCCESS", "identical content already stored", err)) != 0 ||
		    (rc = pending_add(w, j, INGEST_DUPLICATE, NULL, err)) != 0)
			return rc;
		w->pend[w->npend - 1].in_batch = in_batch;
		return 0;
	}
	if (same >= 2) {
		char msg[400];
		snprintf(msg, sizeof(msg), same == 2 ? "report %s is already stored with "
		    "different content: nothing was overwritten" : "a stored report %s "
		    "cannot be read (corrupted?): nothing was overwritten", j->id);
		j->line = 0;
		if ((rc = audit_job(w, j, "FAILURE", msg, err)) != 0 ||
		    (rc = pending_add(w, j, INGEST_REJECTED, msg, err)) != 0)
			return rc;
		w->pend[w->npend - 1].in_batch = in_batch;
		return 0;
	}
	/* Stored: the record, its postings and its audit entry.  Each
	 * posting names its portion's marking entry and the report's date. */
	ingest_rlabel v;
	if (ingest_rlabel_view(&v, j->label, j->label_len) != 0 ||
	    v.nportions > INGEST_MAX_PORTIONS)
		return lsn_fail(err, LSN_EINTERNAL, "built a malformed label");
	struct rep *rp = grow_to(w->reps, &w->cap_reps, w->nreps + 1, sizeof(*rp), 1024);
	uint32_t *pe = grow_to(w->pent, &w->cap_pent, w->npent + v.nportions, sizeof(*pe), 16384);
	if (rp != NULL)
		w->reps = rp;
	if (pe != NULL)
		w->pent = pe;
	if (rp == NULL || pe == NULL)
		return lsn_fail(err, LSN_EINTERNAL, "out of memory");
	pe = w->pent + w->npent; /* the report's portions' entries */
	for (size_t i = 0; i < v.nportions; i++) {
		pe[i] = ingest_rlabel_entry(&v, i);
		/* Queueing is idempotent; consecutive portions mostly share an
		 * entry, so repeats skip the registry's lock. */
		uint32_t e = pe[i], a;
		if (i > 0 && e == pe[i - 1])
			continue;
		if ((rc = ingest_entries_queue(w->r->entries, w->b, e, &a, err)) != 0)
			return rc;
		uint32_t *ao = grow_to(w->aud_of, &w->cap_aud, (size_t)e + 1, sizeof(*ao), 256);
		if (ao == NULL)
			return lsn_fail(err, LSN_EINTERNAL, "out of memory");
		w->aud_of = ao;
		w->aud_of[e] = a;
	}
	w->reps[w->nreps].serial = j->serial;
	w->reps[w->nreps].date = v.date;
	w->reps[w->nreps].start = (uint32_t)w->nstream;
	w->portion = POST_PORTION; /* no portion yet: the first posting names its own */
	w->reps[w->nreps].n = 0; /* set once its postings are in */
	w->reps[w->nreps].pent = (uint32_t)w->npent;
	w->nreps++;
	w->npent += v.nportions;
	/* Each word by its number: the blind form is looked up (word_index)
	 * once a batch, not once a report. */
	if (ingest_words_number(j->words) != w->num_gen) {
		w->num_gen = ingest_words_number(j->words);
		num_forget(w);
	}
	for (size_t i = 0; i < j->nterms; i++) {
		/* Fetch a number's slot 8 terms ahead, its word 4 ahead. */
		if (i + 8 < j->nterms && j->terms[i + 8].word < w->num_cap)
			__builtin_prefetch(&w->num[j->terms[i + 8].word]);
		if (i + 4 < j->nterms && j->terms[i + 4].word < w->num_cap) {
			const struct num_slot *ns = &w->num[j->terms[i + 4].word];
			if (ns->at == w->num_stamp)
				__builtin_prefetch(&w->words[ns->word]);
		}
		long word = num_word(w, j->words, j->terms[i].word);
		if (j->terms[i].portion >= v.nportions)
			return lsn_fail(err, LSN_EINTERNAL, "a posting past the last portion");
		if (word < 0 || add_posting(w, (uint32_t)word, j->terms[i].portion) != 0)
			return lsn_fail(err, LSN_EINTERNAL, "out of memory");
	}
	ingest_words_release(j->words); /* their blind forms are in the batch's */
	j->words = NULL;
	/* And the report under the pseudo-words (ingest.h), every report's
	 * and its month's: the first portion of each of its marking entries.
	 * Past 64 entries a repeat may be posted again, which changes nothing
	 * but the block's size. */
	long every = word_index(w, w->every);
	const uint8_t *mb = v.date != 0 ? month_blind(w, v.date) : NULL;
	long month = mb != NULL ? word_index(w, mb) : -2;
	uint32_t seen[64];
	size_t nseen = 0;
	if (every < 0 || month == -1)
		return lsn_fail(err, LSN_EINTERNAL, "out of memory");
	for (size_t i = 0; i < v.nportions; i++) {
		uint32_t e = pe[i];
		size_t k = 0;
		if (i > 0 && e == pe[i - 1])
			continue;
		while (k < nseen && seen[k] != e)
			k++;
		if (k < nseen)
			continue;
		if (nseen < 64)
			seen[nseen++] = e;
		if (add_posting(w, (uint32_t)every, (uint32_t)i) != 0 ||
		    (month >= 0 && add_posting(w, (uint32_t)month, (uint32_t)i) != 0))
			return lsn_fail(err, LSN_EINTERNAL, "out of memory");
	}
	w->reps[w->nreps - 1].n = (uint32_t)(w->nstream - w->reps[w->nreps - 1].start);
	free(j->terms);
	j->terms = NULL;
	free(j->label); /* both held only until here */
	j->label = NULL;
	rc = store_batch_put_sealed(w->b, j->sealed, err);
	j->sealed = NULL;
	if (rc == 0)
		rc = audit_job(w, j, "SUCCESS", j->fix_note, err); /* NULL, or what --fix-banner changed */
	if (rc == 0)
		rc = pending_add(w, j, INGEST_STORED, NULL, err);
	if (rc == 0 && id_add(w, w->npend - 1) != 0) {
		/* Not pending after all: the job stays the caller's to free
		 * (pending_clear would have freed it a second time). */
		w->npend--;
		free(w->pend[w->npend].reason);
		rc = lsn_fail(err, LSN_EINTERNAL, "out of memory");
	}
	w->docs++;
	w->bytes += j->bytes;
	return rc;
}

/*
 * Once the input has ended, the documents still in the workers' hands (up
 * to a queue's worth, as many as a batch) would all go into the last
 * commit, which nothing overlaps: alone, the writer bucketed, built and
 * wrote a whole batch while both workers waited, 60-65 ms of a
 * 10,000-report run.  So the batch is committed once more when no more
 * than TAIL_DOCS are left, while the workers finish those, and the last
 * commit holds those alone.  But only while the workers still have
 * TAIL_DOCS / 2 of them to prepare (unprepared): when the input ended
 * during a commit, they had often finished them all by its end, and the
 * commit more overlapped nothing (a durable commit, 15-20 ms, on the
 * critical path of a 10,000-report run).
 */
#define TAIL_DOCS 512

int
ingest__tail_commit(size_t pending, size_t left, size_t unprepared)
{
	return pending >= TAIL_DOCS && left <= TAIL_DOCS && unprepared >= TAIL_DOCS / 2;
}

int
ingest_run(store *st, const acl_data *data, ingest_parser *parser,
    const char *const *paths, size_t n, const ingest_opts *opts,
    ingest_summary *sum, lsn_err *err)
{
	struct run r = { 0 };
	struct writer w = { 0 };
	pthread_t reader, workers[16];
	unsigned nworkers = opts->threads;
	size_t batch_docs = opts->batch_docs ? opts->batch_docs : INGEST_BATCH_DOCS;
	if (batch_docs > INGEST_MAX_BATCH_DOCS) /* a bucketed posting's report index */
		batch_docs = INGEST_MAX_BATCH_DOCS;
	size_t batch_bytes = opts->batch_bytes ? opts->batch_bytes : INGEST_BATCH_BYTES;
	unsigned started = 0;
	int rc = 0, reader_started = 0;

	memset(sum, 0, sizeof(*sum));
	for (size_t i = 0; i < n; i++) {
		struct stat sb;
		if (strcmp(paths[i], "-") != 0 && stat(paths[i], &sb) != 0)
			return lsn_fail(err, LSN_ENOTFOUND, "%s: %s", paths[i], strerror(errno));
	}
	if ((rc = store_lock_writer(st, err)) != 0)
		return rc;
	store_dict_auto(st, 0); /* commit() trains it beside the run */
	/* The duplicate check and the merges read much of a large store,
	 * scattered: a fault must map the page read, not its folio (store.h). */
	(void)store_map_one_page_faults(st, 1);
	if (nworkers == 0) {
		long c = sysconf(_SC_NPROCESSORS_ONLN);
		nworkers = c > 0 ? (unsigned)c : 2;
	}
	if (nworkers > 16)
		nworkers = 16;
	r.st = st;
	r.data = data;
	r.parser = parser;
	r.opts = opts;
	r.paths = paths;
	r.npaths = n;
	pthread_mutex_init(&r.mu, NULL);
	pthread_cond_init(&r.work, NULL);
	pthread_cond_init(&r.done, NULL);
	pthread_cond_init(&r.space, NULL);
	pthread_cond_init(&r.built, NULL);
	pthread_mutex_init(&w.head_mu, NULL);
	w.r = &r;
	w.sum = sum;
	w.merge_after = ingest_merge_after(batch_docs);
	w.scan_s_per_id = INGEST_IDFILTER_SCAN_S;
	clock_gettime(CLOCK_MONOTONIC, &w.last_progress);
	if ((rc = store_batch_new(st, &w.b, err)) != 0 ||
	    (rc = ingest_entries_load(&r.entries, st, err)) != 0 ||
	    (rc = (r.blinds = ingest_blinds_new(0)) == NULL
		    ? lsn_fail(err, LSN_EINTERNAL, "out of memory") : 0) != 0 ||
	    (rc = load_head(st, &w, err)) != 0)
		goto out;
	store_blind(st, INGEST_EVERY_REPORT, strlen(INGEST_EVERY_REPORT), w.every);
	start_training(&w); /* or learn when it will be due: before any take */
	if (pthread_create(&reader, NULL, reader_main, &r) != 0) {
		rc = lsn_fail(err, LSN_EINTERNAL, "cannot start a thread");
		goto out;
	}
	reader_started = 1;
	for (; started < nworkers; started++)
		if (pthread_create(&workers[started], NULL, worker_main, &r) != 0)
			break;
	if (started == 0) {
		rc = lsn_fail(err, LSN_EINTERNAL, "cannot start a thread");
		goto out;
	}

	for (;;) {
		struct job *got[DRAIN];
		size_t ngot = 0, k;
		size_t left; /* jobs after got[] that the writer has not taken */
		size_t unprepared; /* ... and of them, not prepared yet */
		int idle = 0, input_ended;

		pthread_mutex_lock(&r.mu);
		for (;;) {
			/* Every finished job at the tail, in order, under one lock. */
			while (ngot < DRAIN && r.tail < r.head && r.ring[r.tail % QUEUE]->done) {
				struct job *j = r.ring[r.tail % QUEUE];
				got[ngot++] = j;
				r.tail++;
				r.inflight -= j->queued;
			}
			if (ngot > 0) {
				if (r.reader_waiting && reader_may_go(&r))
					pthread_cond_signal(&r.space);
				break;
			}
			if (r.eof && r.tail == r.head)
				break;
			r.writer_waiting = 1;
			if (w.npend > 0) {
				/* A slow input: commit what we have rather than wait. */
				struct timespec until;
				clock_gettime(CLOCK_REALTIME, &until);
				until.tv_nsec += IDLE_COMMIT_MS * 1000000L;
				if (until.tv_nsec >= 1000000000L) {
					until.tv_sec++;
					until.tv_nsec -= 1000000000L;
				}
				if (pthread_cond_timedwait(&r.done, &r.mu, &until) == ETIMEDOUT)
					idle = 1;
			} else {
				pthread_cond_wait(&r.done, &r.mu);
			}
			r.writer_waiting = 0;
			if (idle && !(r.tail < r.head && r.ring[r.tail % QUEUE]->done))
				break;
			idle = 0;
		}
		input_ended = r.eof;
		left = (size_t)(r.head - r.tail);
		unprepared = 0;
		if (input_ended) /* the run's last queue: counted once a drain */
			for (uint64_t i = r.tail; i < r.head; i++)
				unprepared += !r.ring[i % QUEUE]->done;
		pthread_mutex_unlock(&r.mu);

		if (ngot == 0 && !idle)
			break; /* everything written */
		struct job *failed = NULL;
		for (k = 0; k < ngot && rc == 0; k++) {
			if ((rc = take(&w, got[k], err)) != 0)
				failed = got[k];
			else if (w.npend >= batch_docs || w.bytes >= batch_bytes || w.docs >= w.dict_wait ||
			    (input_ended && ingest__tail_commit(w.npend, left + (ngot - k - 1), unprepared)))
				/* A merge is started only beside documents to come. */
				rc = commit(&w, !input_ended || left + (ngot - k - 1) > 0, err);
		}
		if (rc != 0) {
			/* Never stored, each still gets its result, in input
			 * order: the batch a take() failed in (a failed commit
			 * reported its own), the job it failed on, and those taken
			 * after (k is past the one that failed). */
			mark_unstored(&w, "not stored: the run stopped before it was stored");
			report_pending(&w);
			if (failed != NULL)
				report_unstored(&w, failed);
			for (; k < ngot; k++)
				report_unstored(&w, got[k]);
			break;
		}
		if (idle && (rc = commit(&w, 1, err)) != 0)
			break;
		if (opts->on_progress != NULL && seconds_since(&w.last_progress) >= 0.25) {
			opts->on_progress(opts->ctx, w.done_docs, w.done_bytes);
			clock_gettime(CLOCK_MONOTONIC, &w.last_progress);
		}
	}
	if (rc == 0)
		rc = commit(&w, 0, err);
out:
	/* A merge still running (a failed take or commit): it ends on its
	 * own, its shares built by itself if the workers stop. */
	if (rc == 0)
		rc = merge_join(&w, err);
	else
		(void)merge_join(&w, NULL);
	pthread_mutex_lock(&r.mu);
	if (rc != 0)
		r.stop = 1;
	r.finished = 1;
	pthread_cond_broadcast(&r.work);
	pthread_cond_broadcast(&r.space);
	pthread_mutex_unlock(&r.mu);
	if (reader_started)
		pthread_join(reader, NULL);
	for (unsigned i = 0; i < started; i++)
		pthread_join(workers[i], NULL);
	if (w.training)
		pthread_join(w.trainer, NULL);
	store_dict_auto(st, 1);
	(void)store_map_one_page_faults(st, 0);
	/* Every job taken: nothing may be counted in flight.  (A count that
	 * only grew once throttled the reader to one document at a time after
	 * 64 MB of input; every ingest test now checks it.) */
	if (rc == 0 && r.tail == r.head && r.inflight != 0)
		rc = lsn_fail(err, LSN_EINTERNAL, "internal: %zu bytes still counted in flight",
		    r.inflight);
	/* After a failure: what is left in the queue was never stored, and is
	 * reported so (the input not read by then is in no result: the
	 * caller says the run stopped). */
	for (uint64_t i = r.tail; i < r.head; i++)
		report_unstored(&w, r.ring[i % QUEUE]);
	pending_clear(&w);
	store_snap_end(w.sn);
	store_batch_free(w.b);
	free(w.pend);
	lsn_wipe_free(w.post, w.cap_post * sizeof(*w.post));
	lsn_wipe_free(w.reps, w.cap_reps * sizeof(*w.reps));
	free(w.aud_of);
	lsn_wipe_free(w.head, w.head_len); /* opened index contents, as the store wipes them */
	store_batch_free(w.mb);
	lsn_wipe_free(w.run, w.cap_run * sizeof(*w.run));
	lsn_wipe_free(w.pent, w.cap_pent * sizeof(*w.pent)); /* as reps and post */
	free(w.order);
	free(w.buckets);
	for (unsigned k = 0; k < BUILD_TASKS; k++) {
		store_blocks_free(w.tasks[k].out);
		store_blocks_free(w.mtasks[k].out);
	}
	share_bufs_free(&w.bufs);
	free(w.words);
	free(w.slots);
	free(w.num);
	free(w.ids);
	ingest_idfilter_free(w.seen);
	ingest_entries_free(r.entries);
	ingest_blinds_free(r.blinds);
	if (rc == 0 && r.read_rc != 0) {
		rc = r.read_rc;
		if (err != NULL)
			*err = r.read_err;
	}
	if (opts->on_progress != NULL)
		opts->on_progress(opts->ctx, w.done_docs, w.done_bytes);
	pthread_cond_destroy(&r.work);
	pthread_cond_destroy(&r.done);
	pthread_cond_destroy(&r.space);
	pthread_cond_destroy(&r.built);
	pthread_mutex_destroy(&r.mu);
	pthread_mutex_destroy(&w.head_mu);
	return rc;
}
