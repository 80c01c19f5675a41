# tests/cli/lib.sh - TAP helpers for CLI scenario scripts.
#
# A scenario sources this file, calls `plan N` (or `plan_done` at the end),
# and asserts with the helpers below.  Each scenario gets a private scratch
# directory $T that is removed on exit.  $LIAISON is the binary under test,
# $LSN_SRCDIR the source tree.
set -u

: "${LIAISON:?LIAISON must name the liaison binary (make check sets it)}"
: "${LSN_SRCDIR:?LSN_SRCDIR must name the source tree (make check sets it)}"
LIAISON_DATA_DIR="${LIAISON_DATA_DIR:-$LSN_SRCDIR/data}"
export LIAISON_DATA_DIR
LIAISON_SCHEMA_DIR="${LIAISON_SCHEMA_DIR:-$LSN_SRCDIR/schemas}"
export LIAISON_SCHEMA_DIR
unset LIAISON_STORE LIAISON_KEY_FILE LIAISON_PRINCIPAL

# What an analyst must hold to ingest every bundled sample: ingest refuses
# a report with a portion its principal may not read (SCI, NATO read-on,
# need-to-know groups), besides clearance TS and --usgov.
SAMPLES_ACCESS="--sci SI,TK,HCS,NATO-TS --groups J2,OPS,PLANS,CI,INVEST"

T=$(mktemp -d "${TMPDIR:-/tmp}/liaison-test.XXXXXX")
trap 'chmod -R u+w "$T" 2>/dev/null; rm -rf "$T"' EXIT
_n=0
_failed=0

plan() { echo "1..$1"; }
plan_done() { echo "1..$_n"; [ "$_failed" -eq 0 ]; }

ok() { _n=$((_n + 1)); echo "ok $_n - $1"; }
not_ok() {
	_n=$((_n + 1)); _failed=$((_failed + 1))
	echo "not ok $_n - $1"
	shift
	for line in "$@"; do echo "#   $line"; done
}

# skip DESC REASON: a test that cannot run here, said so.
skip() { _n=$((_n + 1)); echo "ok $_n - $1 # SKIP $2"; }

# run CMD...: run a command, keeping stdout in $T/out, stderr in $T/err and
# the exit status in $rc.
run() {
	"$@" >"$T/out" 2>"$T/err"
	rc=$?
	return 0
}

# expect_rc N DESC: the last run exited with N.
expect_rc() {
	if [ "$rc" -eq "$1" ]; then ok "$2"
	else not_ok "$2" "expected exit $1, got $rc" "stderr: $(head -c 400 "$T/err")"; fi
}

# expect_err REGEX DESC: stderr of the last run is one line matching REGEX.
expect_err() {
	lines=$(wc -l <"$T/err")
	if [ "$lines" -eq 1 ] && grep -Eq -- "$1" "$T/err"; then ok "$2"
	else not_ok "$2" "expected one stderr line matching /$1/" "got: $(head -c 400 "$T/err")"; fi
}

# expect_out REGEX DESC: stdout of the last run matches REGEX.
expect_out() {
	if grep -Eq -- "$1" "$T/out"; then ok "$2"
	else not_ok "$2" "expected stdout to match /$1/" "got: $(head -c 400 "$T/out")"; fi
}

# check COND DESC: a shell test.
check() {
	desc=$1; shift
	if "$@"; then ok "$desc"; else not_ok "$desc" "failed: $*"; fi
}

# sample_stream COPIES FILE [PREFIX]: the native samples COPIES times under
# new ids (PREFIX0-..., PREFIX1-...; PREFIX defaults to C), as one stream of
# documents in FILE (one awk process: a shell loop of seds is slow on a busy
# machine).
sample_stream() {
	awk -v copies="$1" -v prefix="${3:-C}" 'BEGIN {
		for (n = 0; n < copies; n++)
			for (i = 1; i < ARGC; i++) {
				while ((getline line < ARGV[i]) > 0) {
					sub(/id="IIR-/, "id=\"" prefix n "-IIR-", line)
					print line
				}
				close(ARGV[i])
			}
	}' "$LSN_SRCDIR"/samples/IIR-*.xml >"$2"
}
