#!/bin/sh
# Concurrency: four readers query while one writer ingests, for a bounded
# time.  No command fails; every answer is one consistent snapshot: the
# reports a reader sees are exactly the first k of the writer's input (its
# commits land whole and in order), k never goes down for a reader, and the
# newest report a reader sees opens in full.
. "$LSN_SRCDIR/tests/cli/lib.sh"

S=$T/store
L() { "$LIAISON" --store "$S" "$@"; }
L --as off init --country USA >/dev/null 2>&1
L --as off principal add ana --country USA --clearance TS --usgov --role analyst \
	$SAMPLES_ACCESS >/dev/null

sample_stream 10 "$T/stream" K
grep -o 'id="K[^"]*"' "$T/stream" | sed 's/id="\(.*\)"/\1/' >"$T/order"
total=$(wc -l <"$T/order")

L --as ana ingest --quiet --batch 10 - <"$T/stream" 2>"$T/writer.err" &
writer=$!

# reader N: query everything until the writer is done (at most 120 s).
reader() {
	n=$1 last=0 i=0 bad=0
	end=$(( $(date +%s) + 120 ))
	while [ "$(date +%s)" -lt "$end" ]; do
		i=$((i + 1))
		if ! "$LIAISON" --store "$S" --as ana query --json --limit 100000 \
			'date:2000-01-01..2099-12-31' >"$T/r$n.$i" 2>"$T/r$n.err"; then
			echo "query failed: $(cat "$T/r$n.err")" >>"$T/r$n.bad"; bad=1; break
		fi
		sed 's/^{"id":"\([^"]*\)".*/\1/' "$T/r$n.$i" | sort >"$T/r$n.ids"
		k=$(wc -l <"$T/r$n.ids")
		head -n "$k" "$T/order" | sort | cmp -s - "$T/r$n.ids" ||
			{ echo "snapshot $i is not a prefix of the input ($k reports)" >>"$T/r$n.bad"; bad=1; }
		[ "$k" -ge "$last" ] ||
			{ echo "went back from $last to $k reports" >>"$T/r$n.bad"; bad=1; }
		if [ "$k" -gt 0 ]; then
			newest=$(head -n "$k" "$T/order" | tail -n 1)
			"$LIAISON" --store "$S" --as ana get "$newest" >/dev/null 2>"$T/r$n.geterr" ||
				{ echo "get $newest failed: $(cat "$T/r$n.geterr")" >>"$T/r$n.bad"; bad=1; }
		fi
		last=$k
		rm -f "$T/r$n.$i"
		[ -e "$T/writer.done" ] && [ "$k" -eq "$total" ] && break
	done
	echo "$i $last" >"$T/r$n.summary"
	return $bad
}

for n in 1 2 3 4; do reader $n & done
wait "$writer"; wrc=$?
touch "$T/writer.done"
wait

check "the writer ingests every document while being read" test "$wrc" -eq 0
for n in 1 2 3 4; do
	if [ -e "$T/r$n.bad" ]; then
		not_ok "reader $n saw only whole, in-order snapshots" "$(head -n 3 "$T/r$n.bad")"
	else
		ok "reader $n saw only whole, in-order snapshots ($(cut -d' ' -f1 "$T/r$n.summary") queries)"
	fi
	check "...and ended seeing all $total reports" test "$(cut -d' ' -f2 "$T/r$n.summary")" -eq "$total"
done
run L --as off audit verify
expect_rc 0 "the audit chain verifies after concurrent appends"

# Two writers: an ingest that opened the store while another ran waits for
# it, then reads the store's counters and dictionaries again.  It used what
# it had read at open: the other's batch number (its posting blocks went
# over the other's, and stored reports dropped out of search) and, once the
# store reached the 1,000 records that train a zstd dictionary, the other's
# dictionary id (the other's records no longer opened).  Found by helper-14.
W=$T/two
WL() { "$LIAISON" --store "$W" "$@"; }
WL --as off init --country USA >/dev/null 2>&1
WL --as off principal add ana --country USA --clearance TS --usgov --role analyst \
	$SAMPLES_ACCESS >/dev/null
awk 'BEGIN { for (i = 1; i <= 1200; i++) {
  printf "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<report xmlns=\"urn:liaison:report:1\" xmlns:ism=\"urn:us:gov:ic:ism\" id=\"SMALL-%05d\" ism:resourceElement=\"true\" ism:createDate=\"2024-03-%02d\" ism:classification=\"S\" ism:ownerProducer=\"USA\" ism:disseminationControls=\"NF\">\n", i, 1 + i % 28
  printf "<title ism:classification=\"U\" ism:ownerProducer=\"USA\">Spot report %d</title>\n<date>2024-03-%02d</date>\n<body>\n", i, 1 + i % 28
  printf "<p ism:classification=\"S\" ism:ownerProducer=\"USA\" ism:disseminationControls=\"NF\">Vehicle movement near grid %d, heading %d.</p>\n</body>\n</report>\n", (i * 7919) % 100000, (i * 37) % 360 } }' >"$T/small"
(sleep 2; cat "$T/small") | WL --as ana ingest --quiet - 2>"$T/a.err" &
a=$!
sleep 1
WL --as ana ingest --quiet "$LSN_SRCDIR/samples" 2>"$T/b.err"; brc=$?
wait "$a"; arc=$?
check "a second ingest waits for the first, then stores its own" test "$arc" -eq 0 -a "$brc" -eq 0
n=$(WL --as off info --json | sed -E 's/.*"records":([0-9]+).*/\1/')
check "...both runs' reports are stored" test "$n" -eq $((1200 + $(find "$LSN_SRCDIR/samples" -name "*.xml" | wc -l)))
check "...and every one of them is found" \
    test "$(WL --as ana query --json --limit 100000 'NOT zzqqxxjj' | grep -c '"id"')" -eq "$n"
bad=0
for i in 1 100 200 300 400 500 600 700 800 900 1000 1100 1200; do
	WL --as ana get "$(printf 'SMALL-%05d' $i)" >/dev/null 2>&1 || bad=$((bad + 1))
done
check "...and opens (13 of the first run's, over the dictionary it trained)" test "$bad" -eq 0

plan_done
