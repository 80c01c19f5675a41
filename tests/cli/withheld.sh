#!/bin/sh
# CLI scenarios for a query's withheld count in the audit log.  The answer
# reads only the postings of portions the principal may read, so when it
# passed others over it cannot know how many reports were withheld: its
# entry says null, and a second READ entry, written after the answer is
# out, carries the count.  When nothing was passed over the count (0) is in
# the query's entry and there is no second one.
# (An engine that reads every posting always knows the count: against it
# the checks of a second entry fail, as they should.)
. "$LSN_SRCDIR/tests/cli/lib.sh"

S=$T/store
L() { "$LIAISON" --store "$S" "$@"; }
NOTE='withheld count of the query audited before it'
L --as off init --country USA --clearance TS >/dev/null 2>&1
# ana may read every portion the word convoy occurs in (U, S//REL TO USA,
# FVEY, one of them for J2 and OPS or PLANS only).
L --as off principal add ana --country USA --clearance TS --usgov --role analyst \
	--sci SI,TK,HCS --groups J2,OPS >/dev/null
L --as off principal add gbr --country GBR --clearance S --role partner >/dev/null
# feed ingests them: ana may not read them all, and ingest refuses what
# its principal may not read.
L --as off principal add feed --country USA --clearance TS --usgov --role analyst \
	$SAMPLES_ACCESS >/dev/null
L --as feed ingest --quiet "$LSN_SRCDIR/samples"

# query_as WHO QUERY: run WHO's query (stdout, stderr and status as run()
# keeps them), then put the READ entries of WHO that it added, as JSON
# lines, in $T/new.
query_as() {
	L --as off audit show --json --principal "$1" --action READ >"$T/before"
	run L --as "$1" query --json "$2"
	L --as off audit show --json --principal "$1" --action READ >"$T/after"
	tail -n +$(($(wc -l <"$T/before") + 1)) "$T/after" >"$T/new"
}
added() { wc -l <"$T/new" | tr -d ' '; }
# entry N REGEX: entry N of those added matches REGEX (grep -E).
entry() { sed -n "$1p" "$T/new" | grep -Eq -- "$2"; }
seq_of() { sed -n "$1s/^{\"seq\":\([0-9]*\),.*/\1/p" "$T/new"; }
E='^\{"seq":[0-9]+,"time":"[^"]+","principal":"gbr","action":"READ","outcome":"SUCCESS","objects":\[\],'

# GLASSHORN occurs in one report only, in a C//NF paragraph: GBR reads
# other portions of that report, not that one.
query_as gbr GLASSHORN
expect_rc 0 "a partner's query for a word found only in a NOFORN portion exits 0"
check "...prints nothing" test ! -s "$T/out"
check "...and says nothing" test ! -s "$T/err"
check "...and leaves two READ entries" test "$(added)" -eq 2
check "...the query's: 0 hits, withheld unknown (null)" \
	entry 1 "$E\"reason\":null,\"detail\":\"GLASSHORN\",\"hits\":0,\"withheld\":null,"
check "...then the count's: same principal and text, no hits, 1 withheld" \
	entry 2 "$E\"reason\":\"$NOTE\",\"detail\":\"GLASSHORN\",\"hits\":null,\"withheld\":1,"
s1=$(seq_of 1); s2=$(seq_of 2)
check "...right after it in the log" test -n "$s1" -a "${s2:-0}" -eq $((${s1:-0} + 1))

# Hits and a withheld report together: the hits are printed, the count
# is audited after them.
query_as gbr 'GLASSHORN OR BRAMBLEGATE'
expect_rc 0 "a partner's query with hits and a withheld report exits 0"
check "...prints its two hits" test "$(wc -l <"$T/out")" -eq 2
check "...and leaves two READ entries" test "$(added)" -eq 2
check "...the query's: 2 hits, withheld null" \
	entry 1 "$E\"reason\":null,\"detail\":\"GLASSHORN OR BRAMBLEGATE\",\"hits\":2,\"withheld\":null,"
check "...then the count's: 1 withheld" \
	entry 2 "$E\"reason\":\"$NOTE\",\"detail\":\"GLASSHORN OR BRAMBLEGATE\",\"hits\":null,\"withheld\":1,"

# A word found nowhere passes nothing over, and is audited the same way:
# two entries, the count's 0.  (One entry, and one durable commit fewer,
# told GBR that GLASSHORN is in a portion it may not read.)
query_as gbr nothingmatchesthis
expect_rc 0 "a partner's query for a word found nowhere exits 0"
check "...and leaves two READ entries, as for a word it may not read" test "$(added)" -eq 2
check "...the query's: 0 hits, withheld null" \
	entry 1 "$E\"reason\":null,\"detail\":\"nothingmatchesthis\",\"hits\":0,\"withheld\":null,"
check "...then the count's: 0 withheld" \
	entry 2 "$E\"reason\":\"$NOTE\",\"detail\":\"nothingmatchesthis\",\"hits\":null,\"withheld\":0,"

# A principal who may read every portion the word occurs in.
query_as ana convoy
expect_rc 0 "a cleared principal's query exits 0"
check "...prints its two hits" test "$(wc -l <"$T/out")" -eq 2
check "...and leaves two READ entries" test "$(added)" -eq 2
check "...the query's: 2 hits" entry 1 \
	'"principal":"ana","action":"READ","outcome":"SUCCESS","objects":\[\],"reason":null,"detail":"convoy","hits":2,"withheld":null,'
check "...the count's: 0 withheld" entry 2 \
	"\"principal\":\"ana\",\"action\":\"READ\",\"outcome\":\"SUCCESS\",\"objects\":\\[\\],\"reason\":\"$NOTE\",\"detail\":\"convoy\",\"hits\":null,\"withheld\":0,"

plan_done
