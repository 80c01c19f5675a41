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
	--sci SI,TK,HCS --groups J2,OPS,PLANS,CI,INVEST >/dev/null

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

plan_done
