#!/bin/sh
# CLI scenarios for the audit trail (issue 6): audit show and its filters,
# export as JSON Lines, verify and --head, the officer-only rule, tampering
# with the raw LMDB values (edit, delete, swap, insert, truncate), and
# readers running while an ingest appends.
. "$LSN_SRCDIR/tests/cli/lib.sh"

S=$T/store
L() { "$LIAISON" --store "$S" "$@"; }
# count KEY: a number from `info --json` (audit_entries, ...).
count() { L --as officer1 info --json | sed -E "s/.*\"$1\":([0-9]+).*/\\1/"; }
# rows: the data lines of the last `audit show` table (without its header).
rows() { tail -n +2 "$T/out" | wc -l | tr -d ' '; }
skip() { _n=$((_n + 1)); echo "ok $_n # SKIP $1"; }
# A bound on commands that could hang, when timeout(1) exists.
if command -v timeout >/dev/null 2>&1; then TMO="timeout 300"; else TMO=; fi

# ---- a store with an officer, an analyst, a partner and the samples ----
run L --as officer1 init --country USA --clearance TS
expect_rc 0 "init"
run L --as officer1 principal add ana --country USA --clearance TS --sci SI,TK --usgov
expect_rc 0 "add an analyst"
run L --as officer1 principal add gbr1 --country GBR --clearance S
expect_rc 0 "add a partner"
run L --as ana ingest --quiet "$LSN_SRCDIR/samples"
check "the analyst ingests the samples" test "$rc" -eq 0 -o "$rc" -eq 65
ndocs=$(find "$LSN_SRCDIR/samples" -name '*.xml' | wc -l | tr -d ' ')
run L --as gbr1 principal list
expect_rc 77 "a partner may not list principals"

# ---- show ----
run L --as officer1 audit show
expect_rc 0 "audit show"
expect_out '^SEQ +TIME +PRINCIPAL +ACTION +OUTCOME +HITS/WITHHELD +OBJECTS +REASON \(DETAIL\)$' \
	"...prints a header"
expect_out '^1 +[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z +officer1 +CREATE +SUCCESS +- +officer1 +' \
	"...and the store's creation as entry 1"
check "...in aligned columns" test "$(awk '{ print index($0, $3) }' "$T/out" | sort -u | wc -l)" -eq 1
total=$(count audit_entries)
check "...one line per entry, its own READ included" test "$(rows)" -eq "$total"
expect_out "^$total +.* +officer1 +READ +SUCCESS +- +- +audit show$" \
	"...which is written before the output, with the command line as detail"

run L --as officer1 audit show --principal ana
expect_rc 0 "show --principal"
check "...one entry per document ingested" test "$(rows)" -eq "$ndocs"
check "...all of that principal" test "$(tail -n +2 "$T/out" | awk '$3 != "ana"' | wc -l)" -eq 0

run L --as officer1 audit show --action create
expect_rc 0 "show --action (any case)"
check "...the creations only: store, 2 principals, the documents" \
	test "$(rows)" -eq $((ndocs + 3))
check "...all CREATE" test "$(tail -n +2 "$T/out" | awk '$4 != "CREATE"' | wc -l)" -eq 0

run L --as officer1 audit show --report IIR-2024-0003
expect_rc 0 "show --report"
check "...one entry" test "$(rows)" -eq 1
expect_out ' ana +CREATE +SUCCESS +- +IIR-2024-0003 +.*IIR-2024-0003\.xml$' \
	"...the report's ingest"
run L --as officer1 audit show --report NO-SUCH-REPORT
expect_rc 0 "show --report with no match exits 0"
check "...with the header only" test "$(rows)" -eq 0

run L --as officer1 audit show --denied
expect_rc 0 "show --denied"
expect_out ' gbr1 +ACCESS_DECISION +DENY +- +- +lacks role officer \(principal list\)$' \
	"...lists the partner's refusal with its reason"
check "...and only DENY or FAILURE entries" \
	test "$(tail -n +2 "$T/out" | awk '$5 != "DENY" && $5 != "FAILURE"' | wc -l)" -eq 0
run L --as officer1 audit show --denied --principal gbr1 --action ACCESS_DECISION
check "filters combine" test "$rc" -eq 0 -a "$(rows)" -eq 1

# A refusal names what was tried: "principal disable officer1", not
# "principal disable" alone.  Found by helper-13.
L --as gbr1 principal disable officer1 >/dev/null 2>&1
L --as gbr1 ingest "$LSN_SRCDIR/samples/IIR-2024-0001.xml" >/dev/null 2>&1
run L --as officer1 audit show --denied
expect_out ' gbr1 +ACCESS_DECISION +DENY +- +- +lacks role officer \(principal disable officer1\)$' \
	"a refused command's entry names its target"
expect_out ' gbr1 +ACCESS_DECISION +DENY +- +- +lacks role analyst \(ingest [^ ]*IIR-2024-0001.xml\)$' \
	"...and the paths a refused ingest named"

# Time filters: dates, and exact times taken from the log itself.
run L --as officer1 audit show --since 2999-01-01
check "--since in the future: nothing" test "$rc" -eq 0 -a "$(rows)" -eq 0
run L --as officer1 audit show --until 1971-01-01
check "--until long ago: nothing" test "$rc" -eq 0 -a "$(rows)" -eq 0
run L --as officer1 audit show --since 1971-01-01 --until 2999-12-31T23:59:59Z
check "a wide range: everything" test "$rc" -eq 0 -a "$(rows)" -eq "$(count audit_entries)"
L --as officer1 audit export --since 1971-01-01 >"$T/all.jsonl"
t3=$(sed -n '3s/.*"time":"\([^"]*\)".*/\1/p' "$T/all.jsonl")
t2=$(sed -n '2s/.*"time":"\([^"]*\)".*/\1/p' "$T/all.jsonl")
run L --as officer1 audit show --since "$t3"
check "--since T (microseconds) starts at that entry" \
	test "$rc" -eq 0 -a "$(sed -n 2p "$T/out" | awk '{ print $1 }')" = 3
run L --as officer1 audit show --until "$t3"
check "--until T (microseconds) ends at it, inclusive" \
	test "$rc" -eq 0 -a "$(tail -n 1 "$T/out" | awk '{ print $1 }')" = 3
run L --as officer1 audit show --since "$t2" --until "$t3"
check "...both: entries 2 and 3" test "$rc" -eq 0 -a "$(rows)" -eq 2
run L --as officer1 audit show --since 2026-02-30
expect_rc 64 "an impossible date is a usage error"
expect_err '--since: not a UTC time' "...saying so"
run L --as officer1 audit show --since yesterday
expect_rc 64 "a free-form time is a usage error"
run L --as officer1 audit show --since 2999-01-01 --until 2000-01-01
expect_rc 64 "--since after --until is a usage error"
run L --as officer1 audit show --bogus
expect_rc 64 "an unknown option is a usage error"
run L --as officer1 audit show --help
expect_rc 0 "audit show --help"
expect_out '--denied +entries with outcome DENY or FAILURE' "...from the option table"
run L --as officer1 audit frob
expect_rc 64 "an unknown subcommand is a usage error"

run L --as officer1 audit show --json --report IIR-2024-0003
expect_rc 0 "show --json"
check "...one object per line" test "$(wc -l <"$T/out")" -eq 1
expect_out '^\{"seq":[0-9]+,"time":"[^"]+","principal":"ana","action":"CREATE","outcome":"SUCCESS","objects":\["IIR-2024-0003"\],"reason":null,"detail":"[^"]*IIR-2024-0003.xml","hits":null,"withheld":null,"mac":"[0-9a-f]{64}"\}$' \
	"...with the export's fields"

# A file name holding C1 controls (CSI U+009B, NEL U+0085) reached the
# officer's terminal through the table; ingest's own messages showed '?'.
# Found by helper-13.
mkdir "$T/c1"
cp "$LSN_SRCDIR/samples/IIR-2024-0001.xml" "$T/c1/a$(printf '\302\233')2J$(printf '\302\205')x.xml"
L --as ana ingest --quiet "$T/c1" >/dev/null 2>&1
run L --as officer1 audit show
check "a C1 control in a file name is not written to the officer's terminal" \
	test "$(LC_ALL=C tr -cd '\233\205' <"$T/out" | wc -c)" -eq 0
check "...it is shown as ?" grep -q 'a??2J??x.xml' "$T/out"

# A query's page is in its entry: its counts depend on it (helper-28).
L --as gbr1 query --limit 5 --offset 30 convoy >/dev/null 2>&1
L --as gbr1 query convoy >/dev/null 2>&1
run L --as officer1 audit show --principal gbr1 --json
expect_out '"detail":"convoy \[limit 5, offset 30\]"' "a query's entry names its page"
expect_out '"detail":"convoy"' "...but for the first 20 hits"

# A partner's get of a very long id padded every row of the officer's
# table to its width (120 KB a row: helper-28).  No id is longer than 255
# bytes, so get refuses it; a long id that may exist is cut in the table.
long=$(printf '%0300d' 0)
run L --as gbr1 get "$long"
expect_rc 64 "get of an id longer than any stored id is a usage error"
expect_err 'a report id is 1 to 255 bytes' "...saying so"
long=$(printf 'X%0199d' 0)
L --as gbr1 get "$long" >/dev/null 2>&1
run L --as officer1 audit show --principal gbr1
expect_out "X0{63}\.\.\." "an object is cut after 64 characters in the table"
check "...so the columns stay narrow (the header is padded to them)" \
	test "$(head -n 1 "$T/out" | awk '{ print length($0) }')" -lt 200

# ---- only officers ----
a0=$(count audit_entries)
run L --as ana audit show
expect_rc 77 "an analyst may not read the log"
expect_err '^liaison: ana may not run audit show: it needs the officer role$' "...in one line"
check "...and prints nothing" test ! -s "$T/out"
run L --as gbr1 audit export
expect_rc 77 "a partner may not export it"
check "...and prints nothing" test ! -s "$T/out"
run L --as gbr1 audit verify
expect_rc 77 "...nor verify it"
check "each refusal is audited" test "$(count audit_entries)" -eq $((a0 + 3))
run L audit show
expect_rc 64 "no --as is a usage error"

# ---- export ----
a0=$(count audit_entries)
run L --as officer1 audit export
expect_rc 0 "export to stdout"
check "...one line per entry, its own EXPORT included" test "$(wc -l <"$T/out")" -eq $((a0 + 1))
cp "$T/out" "$T/export.jsonl"
re='^\{"seq":[0-9]+,"time":"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z","principal":("[^"]*"|null),"action":"[A-Z_]+","outcome":"[A-Z]+","objects":\[("([^"\\]|\\.)*"(,"([^"\\]|\\.)*")*)?\],"reason":("([^"\\]|\\.)*"|null),"detail":("([^"\\]|\\.)*"|null),"hits":([0-9]+|null),"withheld":([0-9]+|null),"mac":"[0-9a-f]{64}"\}$'
check "...every line is an object with the documented fields, in order" \
	test "$(grep -Evc "$re" "$T/export.jsonl")" -eq 0
check "...numbered 1, 2, ... in order" \
	test "$(sed 's/^{"seq":\([0-9]*\),.*/\1/' "$T/export.jsonl" | awk '$1 != NR' | wc -l)" -eq 0
if command -v python3 >/dev/null 2>&1; then
	run python3 -c '
import json, sys
keys = ["seq", "time", "principal", "action", "outcome", "objects", "reason",
        "detail", "hits", "withheld", "mac"]
for line in open(sys.argv[1]):
    o = json.loads(line)
    assert list(o) == keys, list(o)
    assert isinstance(o["objects"], list)
' "$T/export.jsonl"
	expect_rc 0 "...and parses as JSON (python3)"
else
	skip "python3 not installed: the grep check above stands"
fi
check "...ending with the export itself" grep -Eq \
	'"action":"EXPORT","outcome":"SUCCESS","objects":\[\],"reason":null,"detail":"audit export"' \
	"$T/export.jsonl"
check "...with no ODNI-foreign action" \
	test "$(grep -Evc '"action":"(CREATE|READ|RETRIEVE|ACCESS_DECISION|EXPORT|MODIFY)"' "$T/export.jsonl")" -eq 0

run L --as officer1 audit export "$T/siem.jsonl"
expect_rc 0 "export to a file"
expect_out '^exported [0-9]+ audit entries to .*/siem\.jsonl$' "...says how many"
check "...which only its owner may read (0600)" \
	test "$(ls -l "$T/siem.jsonl" | cut -c1-10)" = "-rw-------"
check "...and holds JSON Lines" test "$(grep -Evc "$re" "$T/siem.jsonl")" -eq 0
echo keep >"$T/exists.jsonl"
run L --as officer1 audit export "$T/exists.jsonl"
expect_rc 73 "export never overwrites a file"
expect_err 'exists' "...saying why"
check "...which is untouched" test "$(cat "$T/exists.jsonl")" = keep
run L --as officer1 audit export "$T/no/such/dir/out.jsonl"
check "export into a missing directory fails" test "$rc" -ne 0
run L --as officer1 audit show --denied --action EXPORT
expect_out 'EXPORT +FAILURE' "...and failed exports are audited"
run L --as officer1 audit export --since 2999-01-01 "$T/empty.jsonl"
check "an export filtered to nothing is an empty file" test "$rc" -eq 0 -a ! -s "$T/empty.jsonl"

# ---- verify ----
run L --as officer1 audit verify
expect_rc 0 "verify passes on an intact log"
expect_out '^[0-9]+:[0-9a-f]{64}$' "...and prints the head SEQ:MAC"
head1=$(cat "$T/out")
run L --as officer1 audit verify --head "$head1"
expect_rc 0 "verify --head passes with the printed head"
seq1=${head1%%:*}
mac1=${head1#*:}
run L --as officer1 audit verify --head "1:$mac1"
expect_rc 65 "verify --head with another entry's MAC fails"
expect_err 'entry 1 does not match the noted head' "...naming the entry"
run L --as officer1 audit verify --head "$seq1:xyz"
expect_rc 64 "a malformed --head is a usage error"
run L --as officer1 audit verify --head "99999:$mac1"
expect_rc 65 "a head beyond the log fails (the log is shorter than noted)"
expect_err 'the log ends at entry [0-9]+, before the noted head 99999' "...saying so"
run L --as officer1 audit show --action READ --denied
expect_out 'READ +FAILURE .*audit verify --head 1:' "failed verifications are audited with why"

# ---- tampering with the raw LMDB values ----
# tamper NAME MODE A [B]: copy the store to $T/NAME, its audit table
# rewritten as an attacker with the files could:
#   edit A       flip a ciphertext bit of entry A
#   mac A        flip a bit of entry A's chain MAC (its last 32 bytes)
#   del A        delete entry A (a gap)
#   delren A     delete entry A and renumber the later ones
#   swap A B     swap the values of entries A and B
#   ins A B      insert a copy of entry B at A, renumbering from there
#   trunc A      keep entries 1..A
tamper() {
	mdb_dump -a "$S" >"$T/dump" || return 1
	awk -v mode="$2" -v a="$3" -v b="${4:-0}" '
	function key(i) { printf " %016x\n", i }
	# flip the hex digit at p of a value line (" 0a1b...": byte i at 2 + 2 * i)
	function flip(s, p,   c) {
		c = substr(s, p, 1)
		return substr(s, 1, p - 1) (c == "0" ? "1" : "0") substr(s, p + 1)
	}
	function emit(   i, j, t) {
		if (mode == "edit") v[a] = flip(v[a], 2 + 2 * 30)
		if (mode == "mac") v[a] = flip(v[a], length(v[a]) - 2 * 16)
		if (mode == "swap") { t = v[a]; v[a] = v[b]; v[b] = t }
		j = 0
		for (i = 1; i <= n; i++) {
			if (mode == "ins" && i == a) { key(++j); print v[b] }
			if ((mode == "del" || mode == "delren") && i == a) continue
			if (mode == "trunc" && i > a) continue
			key(mode == "del" ? i : ++j); print v[i]
		}
	}
	/^db_pagesize=/ { next }
	/^VERSION=/ { db = "" }
	/^database=/ { db = substr($0, 10) }
	/^HEADER=END/ { print; if (db == "audit") { in_audit = 1; n = 0; k = 1 }; next }
	in_audit && /^DATA=END/ { emit(); in_audit = 0; print; next }
	in_audit { if (!k) v[++n] = $0; k = !k; next }
	{ print }' "$T/dump" >"$T/dump.new" || return 1
	rm -rf "$T/$1" && mkdir "$T/$1" && mdb_load -f "$T/dump.new" "$T/$1" &&
		cp "$S.key" "$T/$1.key"
}

if command -v mdb_dump >/dev/null 2>&1 && command -v mdb_load >/dev/null 2>&1; then
	# The copy machinery itself must keep an intact log intact.
	tamper copy none 0
	run "$LIAISON" --store "$T/copy" --as officer1 audit verify
	expect_rc 0 "an untouched dump-and-load copy verifies"
	run "$LIAISON" --store "$T/copy" --as officer1 audit show
	expect_rc 0 "...and shows"
	run "$LIAISON" --store "$T/copy" --as officer1 audit export
	expect_rc 0 "...and exports"
	for c in "edit 5" "mac 5" "del 5" "delren 5" "swap 5 6" "ins 5 2"; do
		set -- $c
		name=$1
		tamper "$name" "$@"
		run "$LIAISON" --store "$T/$name" --as officer1 audit verify
		expect_rc 65 "tamper $c: verify exits 65"
		expect_err '^liaison: audit verify: the chain breaks at entry 5: ' \
			"...naming entry 5 as the first bad one"
	done
	# show and export check the chain as verify does, and stop where it
	# breaks after printing the entries before it: with only entry 5's MAC
	# changed (its ciphertext still opens) both exited 0, and export handed
	# a SIEM the altered MAC.  Found by a reviewer (helper-21's brief).
	brk='the chain breaks at entry 5: it was edited, deleted, reordered or inserted$'
	run "$LIAISON" --store "$T/mac" --as officer1 audit export
	expect_rc 65 "an altered chain MAC stops export"
	expect_err "^liaison: audit export: $brk" "...in verify's words"
	check "...after entries 1 to 4, as stored" \
		test "$(cat "$T/out")" = "$(head -n 4 "$T/export.jsonl")"
	run "$LIAISON" --store "$T/mac" --as officer1 audit export "$T/mac.jsonl"
	expect_rc 65 "...and export to a file"
	check "...which it removes" test ! -e "$T/mac.jsonl"
	run "$LIAISON" --store "$T/mac" --as officer1 audit export --since 2999-01-01
	expect_rc 65 "...even when the time filter drops every entry"
	run "$LIAISON" --store "$T/mac" --as officer1 audit show
	expect_rc 65 "...and show"
	expect_err "^liaison: audit show: $brk" "...in verify's words"
	check "...after the header and entries 1 to 4" \
		test "$(awk '{ print $1 }' "$T/out" | tr '\n' ' ')" = "SEQ 1 2 3 4 "
	run "$LIAISON" --store "$T/mac" --as officer1 audit show --json
	check "...and show --json: entries 1 to 4, then exit 65" \
		test "$rc" -eq 65 -a "$(cat "$T/out")" = "$(head -n 4 "$T/export.jsonl")"
	run "$LIAISON" --store "$T/mac" --as officer1 audit show --principal gbr1
	expect_rc 65 "...and show with a filter that skips entry 5 (gbr1's come later)"
	expect_err "^liaison: audit show: $brk" "...naming it"
	check "...printing only the header" test "$(rows)" -eq 0
	# Every other break stops them at the same entry, in the same words.
	for name in edit del delren swap ins; do
		run "$LIAISON" --store "$T/$name" --as officer1 audit show
		expect_rc 65 "tamper $name: show exits 65"
		expect_err "^liaison: audit show: $brk" "...naming entry 5"
		run "$LIAISON" --store "$T/$name" --as officer1 audit export
		expect_rc 65 "tamper $name: export exits 65"
		expect_err "^liaison: audit export: $brk" "...naming entry 5"
		check "...after entries 1 to 4" test "$(wc -l <"$T/out")" -eq 4
	done
	# No entry at all: init writes the first, so all were removed.
	tamper empty trunc 0
	run "$LIAISON" --store "$T/empty" --as officer1 audit verify
	expect_rc 65 "an emptied log does not verify as whole"
	expect_err 'the log holds no entry, and init writes one: every entry was removed' \
		"...saying every entry was removed"

	# Truncation: the remaining chain is whole; only a noted head shows it.
	run L --as officer1 audit verify
	head2=$(cat "$T/out")
	seq2=${head2%%:*}
	tamper trunc trunc $((seq2 - 3))
	run "$LIAISON" --store "$T/trunc" --as officer1 audit verify --head "$head2"
	expect_rc 65 "truncated: verify --head with an earlier head exits 65"
	expect_err "the log ends at entry $((seq2 - 3)), before the noted head $seq2: it was truncated" \
		"...saying where the log now ends"
	run "$LIAISON" --store "$T/trunc" --as officer1 audit verify
	expect_rc 0 "truncated: verify without --head cannot tell"
	run "$LIAISON" --store "$T/trunc" --as officer1 audit verify
	run "$LIAISON" --store "$T/trunc" --as officer1 audit verify
	run "$LIAISON" --store "$T/trunc" --as officer1 audit verify --head "$head2"
	expect_rc 65 "truncated and refilled past the noted head: --head still exits 65"
	expect_err "entry $seq2 does not match the noted head" "...naming the entry"
	run "$LIAISON" --store "$T/trunc" --as officer1 audit verify --head "$head1"
	expect_rc 0 "...while an older head, before the cut, still verifies"
else
	i=0
	while [ "$i" -lt 61 ]; do
		skip "mdb_dump/mdb_load (lmdb-utils) not installed"
		i=$((i + 1))
	done
fi

# ---- principals put back from an older copy ----
# A disabled principal's record put back from a backup enabled it again,
# unseen by verify (helper-28): each entry carries the digest of the
# principals its commit left, and every command checks it.
if command -v mdb_dump >/dev/null 2>&1 && command -v mdb_load >/dev/null 2>&1; then
	RB() { "$LIAISON" --store "$T/rb" "$@"; }
	cp -a "$S" "$T/rb" && cp "$S.key" "$T/rb.key" && cp -a "$S" "$T/rb-old"
	run RB --as officer1 principal disable gbr1
	expect_rc 0 "an officer disables a partner"
	run RB --as gbr1 query convoy
	expect_rc 77 "...who is then refused"
	mdb_dump -s principals "$T/rb-old" >"$T/p.dump" && mdb_load -s principals -f "$T/p.dump" "$T/rb"
	run RB --as gbr1 query convoy
	expect_rc 65 "its record put back from an older copy: refused"
	expect_err 'the principals do not match the audit log' "...saying why"
	run RB --as officer1 audit verify
	expect_rc 65 "...and so is every command, verify too"
	run RB --as officer1 principal show gbr1
	expect_rc 65 "...and principal show"
else
	echo "# mdb_dump/mdb_load not found: the put-back test is skipped"
fi

# ---- readers while an ingest appends ----
C=$T/conc
CL() { "$LIAISON" --store "$C" "$@"; }
CL --as officer1 init --country USA >/dev/null 2>&1
CL --as officer1 principal add ana --country USA --clearance TS --sci SI,TK --usgov >/dev/null
# One document per write transaction: many commits for the readers to meet.
$TMO "$LIAISON" --store "$C" --as ana ingest --quiet --batch 1 --threads 2 \
	"$LSN_SRCDIR/samples" >/dev/null 2>"$T/ingest.err" &
ipid=$!
pids=
for r in 1 2 3 4; do
	(
		for i in 1 2 3 4 5; do
			$TMO "$LIAISON" --store "$C" --as officer1 audit verify >/dev/null || exit 1
			$TMO "$LIAISON" --store "$C" --as officer1 audit show >/dev/null || exit 1
			$TMO "$LIAISON" --store "$C" --as officer1 audit export >"$T/conc$r.jsonl" || exit 1
			grep -Evq "$re" "$T/conc$r.jsonl" && exit 1
		done
		exit 0
	) &
	pids="$pids $!"
done
fails=0
for p in $pids; do wait "$p" || fails=$((fails + 1)); done
wait "$ipid"
irc=$?
check "readers running beside an ingest all exit 0" test "$fails" -eq 0
check "...and the ingest completes" test "$irc" -eq 0 -o "$irc" -eq 65
run CL --as officer1 audit verify
expect_rc 0 "...leaving a chain that verifies"
run CL --as officer1 audit show --principal ana
check "...with every document's entry" test "$(rows)" -eq "$ndocs"
run CL --as officer1 audit show --action READ
check "...and every reader's" test "$(rows)" -ge 40

plan_done
