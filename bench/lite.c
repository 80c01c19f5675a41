/*
 * bench/lite.c - the same reports in SQLite with FTS5, the same queries,
 * releasability as a WHERE clause.
 *
 * Schema: reports(serial, id, date, level, nf, rel) with an index on date,
 * and one FTS5 row per portion (rowid = serial * 32 + portion) carrying
 * the portion's classification, NOFORN flag and expanded REL TO countries
 * (" USA GBR ", "*" for an uncontrolled U portion) as UNINDEXED columns.
 * The partner is GBR cleared to SECRET; the cleared principal sees all.
 */
#include "config.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench/bench.h"
#include "ingest/ingest.h" /* INGEST_BATCH_DOCS */

#define PARTNER " AND cls <= 4 AND nf = 0 AND (rel = '*' OR instr(rel, ' GBR ') > 0)"
#define BUDGET_S 10.0 /* seconds per query set at most */

static int
exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		fprintf(stderr, "liaison-bench: sqlite: %s: %s\n", sql, msg ? msg : "?");
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static sqlite3_stmt *
prep(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		fprintf(stderr, "liaison-bench: sqlite: %s: %s\n", sql, sqlite3_errmsg(db));
	return s;
}

/* Run a prepared statement to completion; returns the row count or -1. */
static long
drain(sqlite3_stmt *s)
{
	long rows = 0;
	int r;
	while ((r = sqlite3_step(s)) == SQLITE_ROW)
		rows++;
	sqlite3_reset(s);
	return r == SQLITE_DONE ? rows : -1;
}

static int
ingest(sqlite3 *db, corpus *c, const bench_corpus *bc, double *secs)
{
	sqlite3_stmt *rep = prep(db, "INSERT INTO reports VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
	sqlite3_stmt *por = prep(db, "INSERT INTO portions(rowid, text, cls, nf, rel) "
	                             "VALUES (?1, ?2, ?3, ?4, ?5)");
	double t = 0, t0;
	int rc = -1;

	if (rep == NULL || por == NULL)
		goto out;
	for (size_t i = 0; i < bc->n; i++) {
		const corpus_doc *d = corpus_doc_make(c, i); /* not timed */
		sqlite3_int64 serial = (sqlite3_int64)i + 1;

		t0 = bench_now();
		if (i % INGEST_BATCH_DOCS == 0 && exec(db, "BEGIN") != 0)
			goto out;
		sqlite3_bind_int64(rep, 1, serial);
		sqlite3_bind_text(rep, 2, d->id, -1, SQLITE_STATIC);
		sqlite3_bind_int(rep, 3, (int)d->date_num);
		sqlite3_bind_int(rep, 4, d->level);
		sqlite3_bind_int(rep, 5, d->nf);
		sqlite3_bind_text(rep, 6, d->rel_countries, -1, SQLITE_STATIC);
		if (drain(rep) < 0)
			goto out;
		for (size_t k = 0; k < d->nportions; k++) {
			const corpus_portion *p = &d->portions[k];
			sqlite3_bind_int64(por, 1, serial * 32 + (sqlite3_int64)k);
			sqlite3_bind_text(por, 2, p->text, (int)p->len, SQLITE_STATIC);
			sqlite3_bind_int(por, 3, p->level);
			sqlite3_bind_int(por, 4, p->nf);
			sqlite3_bind_text(por, 5, p->nf ? "" : p->rel ? d->rel_countries : "*", -1,
			    SQLITE_STATIC);
			if (drain(por) < 0)
				goto out;
		}
		if ((i % INGEST_BATCH_DOCS == INGEST_BATCH_DOCS - 1 || i + 1 == bc->n) &&
		    exec(db, "COMMIT") != 0)
			goto out;
		t += bench_now() - t0;
	}
	*secs = t;
	rc = 0;
out:
	sqlite3_finalize(rep);
	sqlite3_finalize(por);
	return rc;
}

/* The SQL of one query type, for the partner or the cleared principal. */
static void
query_sql(char *sql, size_t size, int type, int partner)
{
	const char *f = partner ? PARTNER : "";

	switch (type) {
	case BQ_ONE:
	case BQ_PHRASE:
		snprintf(sql, size,
		    "SELECT r.id FROM reports r WHERE r.serial IN (SELECT rowid >> 5 FROM portions "
		    "WHERE portions MATCH ?1%s) ORDER BY r.date DESC LIMIT 20", f);
		break;
	case BQ_AND3:
		snprintf(sql, size,
		    "SELECT r.id FROM reports r WHERE r.serial IN ("
		    "SELECT rowid >> 5 FROM portions WHERE portions MATCH ?1%s INTERSECT "
		    "SELECT rowid >> 5 FROM portions WHERE portions MATCH ?2%s INTERSECT "
		    "SELECT rowid >> 5 FROM portions WHERE portions MATCH ?3%s) "
		    "ORDER BY r.date DESC LIMIT 20", f, f, f);
		break;
	default:
		if (partner)
			snprintf(sql, size,
			    "SELECT r.id FROM reports r WHERE r.date BETWEEN ?1 AND ?2 AND EXISTS ("
			    "SELECT 1 FROM portions WHERE rowid BETWEEN r.serial * 32 AND "
			    "r.serial * 32 + 31%s) ORDER BY r.date DESC LIMIT 20", f);
		else
			snprintf(sql, size,
			    "SELECT id FROM reports WHERE date BETWEEN ?1 AND ?2 "
			    "ORDER BY date DESC LIMIT 20");
	}
}

/* Time BENCH_NQ queries of one type (within the time budget), each for
 * both principals one after the other, the one first alternating (as
 * liaison's side does): out[0] partner, out[1] cleared. */
static int
time_queries(sqlite3 *db, const bench_queries *q, int type, bench_pct out[2])
{
	char sql[2048];
	static double lat[2][BENCH_NQ];
	double start = bench_now();
	sqlite3_stmt *st[2] = { NULL, NULL };
	size_t n = 0;
	int rc = -1;

	for (int who = 0; who < 2; who++) {
		query_sql(sql, sizeof(sql), type, who == 0);
		if ((st[who] = prep(db, sql)) == NULL)
			goto out;
	}
	for (size_t i = 0; i < BENCH_NQ && bench_now() - start < 2 * BUDGET_S; i++) {
		for (int k = 0; k < 2; k++) {
			int who = (int)((i + (size_t)k) % 2);
			sqlite3_stmt *s = st[who];
			char phrase[80];
			double t0;
			switch (type) {
			case BQ_ONE:
				sqlite3_bind_text(s, 1, q->one[i], -1, SQLITE_STATIC);
				break;
			case BQ_PHRASE:
				snprintf(phrase, sizeof(phrase), "\"%s %s\"", q->phrase[i][0],
				    q->phrase[i][1]);
				sqlite3_bind_text(s, 1, phrase, -1, SQLITE_TRANSIENT);
				break;
			case BQ_AND3:
				for (int j = 0; j < 3; j++)
					sqlite3_bind_text(s, j + 1, q->and3[i][j], -1, SQLITE_STATIC);
				break;
			default:
				sqlite3_bind_int(s, 1, (int)q->date[i][0]);
				sqlite3_bind_int(s, 2, (int)q->date[i][1]);
			}
			t0 = bench_now();
			if (drain(s) < 0)
				goto out;
			lat[who][n] = bench_now() - t0;
		}
		n++;
	}
	for (int who = 0; who < 2; who++)
		bench_pct_of(&out[who], lat[who], n);
	rc = 0;
out:
	sqlite3_finalize(st[0]);
	sqlite3_finalize(st[1]);
	return rc;
}

/* get: the report row and its (readable) portions, by id. */
static int
time_get(sqlite3 *db, const bench_corpus *bc, int partner, bench_pct *out)
{
	char sql[512];
	enum { N = 2000 };
	static double lat[N];
	sqlite3_stmt *r = prep(db, "SELECT serial, date, level FROM reports WHERE id = ?1"), *p;
	uint64_t st = 99;
	int rc = -1;

	snprintf(sql, sizeof(sql), "SELECT text, cls, nf, rel FROM portions WHERE rowid "
	    "BETWEEN ?1 * 32 AND ?1 * 32 + 31%s", partner ? PARTNER : "");
	p = prep(db, sql);
	if (r == NULL || p == NULL)
		goto out;
	for (size_t i = 0; i < N; i++) {
		char id[64];
		double t0;
		corpus_id(bc->seed, corpus_rand(&st) % bc->n, id, sizeof(id));
		t0 = bench_now();
		sqlite3_bind_text(r, 1, id, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(r) != SQLITE_ROW)
			goto out;
		sqlite3_bind_int64(p, 1, sqlite3_column_int64(r, 0));
		sqlite3_reset(r);
		if (drain(p) < 0)
			goto out;
		lat[i] = bench_now() - t0;
	}
	bench_pct_of(out, lat, N);
	rc = 0;
out:
	sqlite3_finalize(r);
	sqlite3_finalize(p);
	return rc;
}

int
lite_run(corpus *c, const bench_corpus *bc, const char *tmpdir, int queries,
    lite_result *out)
{
	char path[4096], wal[4200];
	sqlite3 *db = NULL;
	bench_queries *q = NULL;
	struct stat sb;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	snprintf(path, sizeof(path), "%s/lite.db", tmpdir);
	snprintf(wal, sizeof(wal), "%s-wal", path);
	unlink(path);
	unlink(wal);
	if (sqlite3_open(path, &db) != SQLITE_OK)
		goto out;
	/* Durable commits of INGEST_BATCH_DOCS reports, as liaison's batches. */
	if (exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
	             "CREATE TABLE reports(serial INTEGER PRIMARY KEY, id TEXT UNIQUE,"
	             " date INTEGER, level INTEGER, nf INTEGER, rel TEXT);"
	             "CREATE INDEX reports_date ON reports(date);"
	             "CREATE VIRTUAL TABLE portions USING fts5(text, cls UNINDEXED,"
	             " nf UNINDEXED, rel UNINDEXED)") != 0)
		goto out;
	if (ingest(db, c, bc, &out->ingest_s) != 0 || exec(db, "PRAGMA wal_checkpoint(TRUNCATE)"))
		goto out;
	if (stat(path, &sb) == 0)
		out->db_bytes = (uint64_t)sb.st_size;
	if (!queries) {
		rc = 0;
		goto out;
	}
	if ((q = malloc(sizeof(*q))) == NULL)
		goto out;
	bench_queries_make(q, c, bc->n);
	for (int t = 0; t < BQ_NTYPES; t++)
		if (time_queries(db, q, t, out->q[t]) != 0)
			goto out;
	if (time_get(db, bc, 0, &out->get_cleared) != 0 || time_get(db, bc, 1, &out->get_partner) != 0)
		goto out;
	rc = 0;
out:
	free(q);
	sqlite3_close(db);
	unlink(path);
	unlink(wal);
	snprintf(wal, sizeof(wal), "%s-shm", path);
	unlink(wal);
	return rc;
}
