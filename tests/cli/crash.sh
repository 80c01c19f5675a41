#!/bin/sh
# Crash safety: ingest is killed with SIGKILL at random moments during a
# large batch.  After each kill the store opens, every report ingest had
# reported as stored is there with exactly its source's content (ingesting
# the source again is a no-op) and opens, and the audit chain verifies.
. "$LSN_SRCDIR/tests/cli/lib.sh"

KILLS=${CRASH_KILLS:-20}
S=$T/store
L() { "$LIAISON" --store "$S" "$@"; }
L --as off init --country USA >/dev/null 2>&1
L --as off principal add ana --country USA --clearance TS --usgov --role analyst $SAMPLES_ACCESS >/dev/null

# 1,260 documents in one stream: the native samples 30 times under new ids.
sample_stream 30 "$T/stream"
total=$(grep -c '<?xml' "$T/stream")

awk -v seed=4774 -v k="$KILLS" 'BEGIN { srand(seed); for (i = 0; i < k; i++) printf "%.2f\n", 0.05 + rand() * 0.6 }' >"$T/delays"
i=0
while read -r delay; do
	i=$((i + 1))
	"$LIAISON" --store "$S" --as ana ingest --json --batch 40 - <"$T/stream" >"$T/run$i.json" 2>/dev/null &
	pid=$!
	sleep "$delay"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	grep '"status":"stored"' "$T/run$i.json" | sed 's/.*"id":"\([^"]*\)".*/\1/' >>"$T/stored"
	run L --as off info
	expect_rc 0 "kill $i after ${delay}s: the store opens"
done <"$T/delays"

sort -u "$T/stored" >"$T/stored.ids"
nstored=$(wc -l <"$T/stored.ids")
check "some reports were reported stored before the kills ($nstored of $total)" test "$nstored" -gt 0

# Every report reported stored is there with its source's exact content:
# re-ingesting the whole stream reports each of them a duplicate, never
# stored anew (lost) nor rejected (different).
run sh -c "\"$LIAISON\" --store \"$S\" --as ana ingest --json - <\"$T/stream\""
expect_rc 0 "after the kills, the whole stream ingests"
lost=0
while read -r id; do
	grep -q "\"id\":\"$id\",\"status\":\"duplicate\"" "$T/out" || { lost=$((lost + 1)); echo "# lost or changed: $id"; }
done <"$T/stored.ids"
check "no report reported stored was lost or changed" test "$lost" -eq 0
check "...and nothing was half-stored: the stream ingests in full" \
	grep -q "\"stored\":[0-9]*,\"duplicates\":[0-9]*,\"rejected\":0" "$T/out"

# The search index holds each of them once: the kills also fell during
# merges of the recent batches' postings (--batch 40: one every 17
# batches), which the next ingest finished; a report whose postings were
# lost would be missing here, one whose postings were merged twice would
# be counted twice.
records=$(L --as off info --json | sed -n 's/.*"records":\([0-9]*\).*/\1/p')
found=$(L --as ana query --json --limit 100000 'NOT zzqqxxjj' | grep -c '"id"')
check "a query of every report finds each stored report once ($found of $records)" \
	test "$found" -eq "$records"
found=$(L --as ana query --json --limit 100000 'NOT zzqqxxjj' | sort -u | grep -c '"id"')
check "...with no report twice" test "$found" -eq "$records"

# They open.
first=$(head -n 1 "$T/stored.ids")
run L --as ana get "$first"
expect_rc 0 "a report stored before a kill opens ($first)"

run L --as off audit verify
expect_rc 0 "the audit chain verifies after the kills"

plan_done
