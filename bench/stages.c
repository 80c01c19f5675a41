/*
 * bench/stages.c - each stage of the raw pipeline alone, on the same
 * reports: libxml2 parse, zstd level 3 (with and without a dictionary),
 * AES-256-GCM (libgcrypt) and LMDB puts in 1,000-record transactions.
 */
#include "config.h"

#include <gcrypt.h>
#include <libxml/parser.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zdict.h>
#include <zstd.h>

#include "bench/bench.h"

#define DICT_CAP (110u << 10)
#define TRAIN_DOCS 1000

int
stages_run(const bench_corpus *bc, const char *tmpdir, stages_result *out)
{
	size_t n = bc->n < 20000 ? bc->n : 20000, cap = 0, raw = 0, comp = 0, comp_d = 0;
	uint8_t *dict = NULL, *dst = NULL, **cbuf = NULL;
	size_t *clen = NULL, dict_len = 0, *tlen = NULL;
	ZSTD_CCtx *cc = NULL;
	ZSTD_CDict *cd = NULL;
	gcry_cipher_hd_t h = NULL;
	MDB_env *env = NULL;
	char path[4096] = "";
	double t;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	out->n = n;
	for (size_t i = 0; i < n; i++)
		if (bc->len[i] > cap)
			cap = bc->len[i];
	cap = ZSTD_compressBound(cap);
	if ((dst = malloc(cap)) == NULL || (cbuf = calloc(n, sizeof(*cbuf))) == NULL ||
	    (clen = calloc(n, sizeof(*clen))) == NULL ||
	    (tlen = calloc(TRAIN_DOCS, sizeof(*tlen))) == NULL ||
	    (dict = malloc(DICT_CAP)) == NULL || (cc = ZSTD_createCCtx()) == NULL)
		goto out;

	/* libxml2: parse only, with the options ingest uses (no network, no
	 * DTD, no entity substitution). */
	t = bench_now();
	for (size_t i = 0; i < n; i++) {
		xmlDocPtr doc = xmlReadMemory(bc->map + bc->off[i], (int)bc->len[i], NULL, NULL,
		    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
		if (doc == NULL) {
			fprintf(stderr, "liaison-bench: report %zu does not parse\n", i);
			goto out;
		}
		xmlFreeDoc(doc);
	}
	out->parse = (bench_now() - t) / n;

	/* zstd level 3, no dictionary. */
	t = bench_now();
	for (size_t i = 0; i < n; i++) {
		size_t r = ZSTD_compressCCtx(cc, dst, cap, bc->map + bc->off[i], bc->len[i], 3);
		if (ZSTD_isError(r))
			goto out;
		comp += r;
		raw += bc->len[i];
	}
	out->zstd = (bench_now() - t) / n;
	out->ratio = (double)raw / comp;

	/* A 110 KiB dictionary trained on the first reports (not timed). */
	{
		size_t m = n < TRAIN_DOCS ? n : TRAIN_DOCS, tot = 0;
		char *samples;
		for (size_t i = 0; i < m; i++)
			tot += (tlen[i] = bc->len[i]);
		if ((samples = malloc(tot)) == NULL)
			goto out;
		tot = 0;
		for (size_t i = 0; i < m; i++) {
			memcpy(samples + tot, bc->map + bc->off[i], bc->len[i]);
			tot += bc->len[i];
		}
		dict_len = ZDICT_trainFromBuffer(dict, DICT_CAP, samples, tlen, (unsigned)m);
		free(samples);
		if (ZDICT_isError(dict_len) || (cd = ZSTD_createCDict(dict, dict_len, 3)) == NULL) {
			fprintf(stderr, "liaison-bench: zstd dictionary training failed\n");
			goto out;
		}
	}
	t = bench_now();
	for (size_t i = 0; i < n; i++) {
		size_t r = ZSTD_compress_usingCDict(cc, dst, cap, bc->map + bc->off[i], bc->len[i], cd);
		if (ZSTD_isError(r) || (cbuf[i] = malloc(r + 28)) == NULL)
			goto out;
		memcpy(cbuf[i], dst, r);
		clen[i] = r;
		comp_d += r;
	}
	out->zstd_dict = (bench_now() - t) / n;
	out->ratio_dict = (double)raw / comp_d;

	/* AES-256-GCM over the compressed bytes, a fresh nonce each, as a
	 * record is sealed (one key: key wrapping is not a stage here). */
	{
		uint8_t key[32], iv[12] = { 0 };
		gcry_create_nonce(key, sizeof(key));
		if (gcry_cipher_open(&h, GCRY_CIPHER_AES256, GCRY_CIPHER_MODE_GCM, 0) ||
		    gcry_cipher_setkey(h, key, sizeof(key)))
			goto out;
		t = bench_now();
		for (size_t i = 0; i < n; i++) {
			memcpy(iv, &i, sizeof(i));
			if (gcry_cipher_setiv(h, iv, sizeof(iv)) ||
			    gcry_cipher_encrypt(h, cbuf[i], clen[i], NULL, 0) ||
			    gcry_cipher_gettag(h, cbuf[i] + clen[i], 16))
				goto out;
		}
		out->aes = (bench_now() - t) / n;
	}

	/* LMDB: id -> sealed bytes, 1,000 puts per durable transaction. */
	snprintf(path, sizeof(path), "%s/stage-lmdb", tmpdir);
	bench_rmrf(path);
	{
		char mk[4200];
		snprintf(mk, sizeof(mk), "mkdir -p '%s'", path);
		if (system(mk) != 0)
			goto out;
	}
	if (mdb_env_create(&env) || mdb_env_set_mapsize(env, (size_t)4 << 30) ||
	    mdb_env_open(env, path, 0, 0600))
		goto out;
	t = bench_now();
	for (size_t i = 0; i < n;) {
		MDB_txn *txn;
		MDB_dbi dbi;
		if (mdb_txn_begin(env, NULL, 0, &txn) || mdb_dbi_open(txn, NULL, 0, &dbi))
			goto out;
		for (size_t k = 0; k < 1000 && i < n; k++, i++) {
			char id[64];
			MDB_val kv, vv;
			kv.mv_size = (size_t)snprintf(id, sizeof(id), "BENCH-%llu-%08zu",
			    (unsigned long long)bc->seed, i);
			kv.mv_data = id;
			vv.mv_size = clen[i] + 28;
			vv.mv_data = cbuf[i];
			if (mdb_put(txn, dbi, &kv, &vv, 0)) {
				mdb_txn_abort(txn);
				goto out;
			}
		}
		if (mdb_txn_commit(txn))
			goto out;
	}
	out->lmdb = (bench_now() - t) / n;
	rc = 0;
out:
	if (env)
		mdb_env_close(env);
	bench_rmrf(path);
	if (h)
		gcry_cipher_close(h);
	ZSTD_freeCDict(cd);
	ZSTD_freeCCtx(cc);
	for (size_t i = 0; cbuf && i < n; i++)
		free(cbuf[i]);
	free(cbuf);
	free(clen);
	free(tlen);
	free(dict);
	free(dst);
	return rc;
}
