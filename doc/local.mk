# doc/: man pages and the format description.
dist_man1_MANS += doc/liaison.1 doc/liaison-init.1 doc/liaison-info.1
dist_doc_DATA = doc/FORMAT.md
dist_man1_MANS += doc/liaison-ingest.1 doc/liaison-query.1 doc/liaison-get.1 doc/liaison-stats.1
