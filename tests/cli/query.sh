#!/bin/sh
# CLI scenarios for query, get and stats: a partner sees exactly what is
# releasable to it, and a report it may not read answers like a missing one.
. "$LSN_SRCDIR/tests/cli/lib.sh"

S=$T/store
L() { "$LIAISON" --store "$S" "$@"; }
L --as off init --country USA >/dev/null 2>&1
L --as off principal add ana --country USA --clearance TS --usgov --role analyst --sci SI,TK,HCS >/dev/null
L --as off principal add gbr --country GBR --clearance S --role partner >/dev/null
L --as off principal add deu --country DEU --clearance S --role partner >/dev/null
# feed ingests the samples: ana may not read all of them (ingest refuses
# what its principal may not read).
L --as off principal add feed --country USA --clearance TS --usgov --role analyst \
	$SAMPLES_ACCESS >/dev/null

# A report nothing of which is releasable to GBR, ingested later.
cat >"$T/secret.xml" <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<report xmlns="urn:liaison:report:1" xmlns:ism="urn:us:gov:ic:ism" id="NF-ONLY-1"
        ism:resourceElement="true" ism:createDate="2024-03-01"
        ism:classification="S" ism:ownerProducer="USA" ism:disseminationControls="NF">
  <title ism:classification="S" ism:ownerProducer="USA" ism:disseminationControls="NF">Quillfeather sources</title>
  <date>2024-03-01</date>
  <body>
    <p ism:classification="S" ism:ownerProducer="USA" ism:disseminationControls="NF">Quillfeather met the courier.</p>
  </body>
</report>
XML

# Before it exists: what GBR is told for a missing id.
run L --as gbr get NF-ONLY-1
cp "$T/out" "$T/missing.out"; cp "$T/err" "$T/missing.err"; missing_rc=$rc
expect_rc 66 "get of a missing report exits 66"

L --as feed ingest --quiet "$LSN_SRCDIR/samples" "$T/secret.xml"

run L --as gbr get NF-ONLY-1
check "get of an unreleasable report exits as for a missing one" test "$rc" -eq "$missing_rc"
check "...with byte-identical stdout" cmp -s "$T/out" "$T/missing.out"
check "...and byte-identical stderr" cmp -s "$T/err" "$T/missing.err"
run L --as ana get NF-ONLY-1
expect_rc 0 "the analyst reads it"
expect_out '^\(S//NF\) Quillfeather met the courier' "...with its NOFORN paragraph"

# NOFORN-only words never produce a hit for a partner.
for w in KESTRELVANE IRONQUILL GLASSHORN MARROWLIGHT SABLEMOTH Quillfeather; do
	run L --as gbr query --json "$w"
	check "the NOFORN-only word $w gives GBR no hit" test ! -s "$T/out"
	run L --as ana query --json "$w"
	check "...but gives the analyst at least one" test -s "$T/out"
done
run L --as gbr query --json 'KESTRELVANE OR IRONQUILL OR convoy'
check "an OR with NOFORN words only finds the releasable part" \
	sh -c "! grep -q 'IIR-2024-0002\"' '$T/out' && grep -q 'IIR-2024-0001' '$T/out'"

# Bilateral releases: GBR sees BRAMBLEGATE, not WATTLEBRIDGE; DEU sees neither.
run L --as gbr query --json BRAMBLEGATE
expect_out '"id":"IIR-2024-0005"' "REL TO USA, GBR words reach GBR"
run L --as gbr query --json WATTLEBRIDGE
check "REL TO USA, AUS words do not reach GBR" test ! -s "$T/out"
run L --as deu query --json BRAMBLEGATE
check "...nor DEU" test ! -s "$T/out"
run L --as deu query --json NORTHGALE
expect_out '"id":"IIR-2024-0004"' "REL TO USA, NATO words reach DEU (NATO member)"

# The releasable view: unreadable portions removed, banner recomputed.
run L --as gbr get IIR-2024-0002
expect_rc 0 "GBR gets the releasable view of a report with a NOFORN paragraph"
check "...without the NOFORN paragraph" sh -c "! grep -q '(S//NF)' '$T/out'"
check "...and a banner recomputed without NOFORN" \
	sh -c "head -n 1 '$T/out' | grep -qx 'SECRET//REL TO USA, FVEY'"
check "...at the bottom too" sh -c "tail -n 1 '$T/out' | grep -qx 'SECRET//REL TO USA, FVEY'"
run L --as gbr get --format xml IIR-2024-0002
expect_rc 0 "the XML view"
check "...is valid against schemas/report.xsd" \
	sh -c "xmllint --noout --schema '$LSN_SRCDIR/schemas/report.xsd' '$T/out' 2>/dev/null"
check "...and carries the recomputed banner as ISM attributes" \
	grep -q 'ism:classification="S" ism:ownerProducer="USA" ism:disseminationControls="REL" ism:releasableTo="USA FVEY"' "$T/out"
run L --as gbr get --format json IIR-2024-0002
expect_out '^\{"id":"IIR-2024-0002","date":"2024-01-22","banner":"SECRET//REL TO USA, FVEY","portions":\[' "the JSON view"

# Foreign government information whose source is concealed (samples
# IIR-2025-0019, -0020): its portions go to a partner only through their
# REL TO, the views' banners say "FGI" without naming it, and a word of a
# concealed NOFORN portion reaches no partner.
run L --as gbr query --json withheld
expect_out '"id":"IIR-2025-0020"' "a concealed source's REL TO USA, GBR words reach GBR"
check "...but not those of its NOFORN portion (IIR-2025-0019)" \
	sh -c "! grep -q IIR-2025-0019 '$T/out'"
run L --as deu query --json withheld
check "...and none reach DEU" test ! -s "$T/out"
run L --as gbr get IIR-2025-0020
check "GBR's view of it: every portion, the source unnamed" \
	sh -c "head -n 1 '$T/out' | grep -qx 'SECRET//FGI//REL TO USA, GBR' &&
		test \$(grep -c '^(//FGI S//REL TO USA, GBR) ' '$T/out') -eq 2"
run L --as deu get IIR-2025-0019
check "DEU's view of the report with DEU and concealed portions: the DEU portion released back" \
	sh -c "head -n 1 '$T/out' | grep -qx 'CONFIDENTIAL//FGI DEU//REL TO USA, CAN, DEU' &&
		grep -q '^(//DEU C//REL TO USA, CAN, DEU) ' '$T/out'"
check "...and nothing of the concealed source's or the NOFORN ones" \
	sh -c "! grep -q -e 'rail siding' -e '(//FGI' -e 'textile plant in Ostrovo as the end user' '$T/out'"
run L --as feed get IIR-2025-0019
check "the analyst's view: the banner says FGI alone" \
	sh -c "head -n 1 '$T/out' | grep -qx 'SECRET//FGI//NOFORN' && grep -q '^(//FGI S//NF) ' '$T/out'"

# An XML view is a report: the analyst's view of the report mixing a
# concealed and a named source, and GBR's of the concealed one, ingest into
# another store as they are (an unmarked originator carries the banner's
# marking in the view, which names DEU and conceals the other source).
R="$T/views"
"$LIAISON" --store "$R" --as off init --country USA >/dev/null 2>&1
"$LIAISON" --store "$R" --as off principal add ana --country USA --clearance TS --usgov \
	--role analyst $SAMPLES_ACCESS >/dev/null
L --as feed get --format xml IIR-2025-0019 >"$T/view-0019.xml"
L --as gbr get --format xml IIR-2025-0020 >"$T/view-0020.xml"
run "$LIAISON" --store "$R" --as ana ingest --json "$T/view-0019.xml" "$T/view-0020.xml"
expect_out '"stored":2,"duplicates":0,"rejected":0' "XML views with concealed FGI ingest as reports"
# So does the analyst's view of every sample, and every view is valid
# against the schema, GBR's too: a generic document's had no <title>.
mkdir "$T/vw"
for f in "$LSN_SRCDIR"/samples/*.xml "$LSN_SRCDIR"/samples/generic/*.xml; do
	id=$(sed -n 's/.* id="\([^"]*\)".*/\1/p' "$f" | head -n 1)
	L --as feed get --format xml "$id" >"$T/vw/$id.xml"
	L --as gbr get --format xml "$id" >"$T/vw/gbr-$id.xml" 2>/dev/null || rm -f "$T/vw/gbr-$id.xml"
done
check "every sample's XML view, the analyst's and GBR's, is valid against report.xsd" \
	sh -c "xmllint --noout --schema '$LSN_SRCDIR/schemas/report.xsd' '$T'/vw/*.xml 2>/dev/null"
rm -f "$T"/vw/gbr-*.xml "$T/vw/IIR-2025-0019.xml" "$T/vw/IIR-2025-0020.xml"
n=$(ls "$T/vw" | wc -l)
run "$LIAISON" --store "$R" --as ana ingest --json "$T/vw"
expect_out "\"stored\":$n,\"duplicates\":0,\"rejected\":0" "...and the analyst's views ingest as reports ($n)"
# An undated report (a generic document without ism:createDate): its XML
# view has no <date> (it said 1970-01-01, which a re-ingest stored as the
# report's date: helper-26), and the view ingests as an undated report.
cat >"$T/undated.xml" <<'XML'
<doc xmlns:ism="urn:us:gov:ic:ism" id="UNDATED-1" ism:resourceElement="true" ism:classification="U" ism:ownerProducer="USA">
<p ism:classification="U" ism:ownerProducer="USA">Undated quillwort note.</p>
</doc>
XML
L --as feed ingest --quiet "$T/undated.xml"
L --as feed get --format xml UNDATED-1 >"$R-undated.xml"
check "an undated report's XML view has no date element" sh -c "! grep -q '<date>' '$R-undated.xml'"
check "...and is valid against report.xsd" \
	sh -c "xmllint --noout --schema '$LSN_SRCDIR/schemas/report.xsd' '$R-undated.xml' 2>/dev/null"
run "$LIAISON" --store "$R" --as ana ingest --json "$R-undated.xml"
expect_out '"stored":1,' "...and ingests"
run "$LIAISON" --store "$R" --as ana query --json 'date:1970-01-01..2099-12-31 AND quillwort'
check "...as an undated report (no date query finds it)" test ! -s "$T/out"
run "$LIAISON" --store "$R" --as ana query --json quillwort
expect_out '"id":"UNDATED-1"' "...which a word query finds"

# A generic document's unmarked text: an element with text of its own is
# one portion with its unmarked children's text in it, in order, and under
# its lsn:access (the children's text came out as portions of their own,
# after the parent's, and free of its need-to-know: helper-25).
cat >"$T/mixed.xml" <<'XML'
<msg xmlns:ism="urn:us:gov:ic:ism" xmlns:lsn="urn:liaison:report:1" id="MIXED-1" ism:resourceElement="true" ism:createDate="2025-01-09" ism:classification="S" ism:ownerProducer="USA" ism:disseminationControls="REL" ism:releasableTo="USA GBR">
<note>Meet the courier at <place>the north pier</place> at <time>noon</time> on Friday.</note>
<section lsn:access="J2">Quorvane section <para>quorvanechild paragraph</para></section>
<p ism:classification="S" ism:ownerProducer="USA" ism:disseminationControls="REL" ism:releasableTo="USA GBR">Bring the ledger.</p></msg>
XML
run L --as feed ingest --quiet "$T/mixed.xml"
expect_rc 0 "a generic document with mixed content is stored"
run L --as feed query --json '"at the north pier at noon"'
expect_out '"id":"MIXED-1"' "...its unmarked sentence stays whole: a phrase across the inline elements finds it"
run L --as gbr query --json quorvanechild
check "...and an unmarked element's lsn:access covers its children's text" test ! -s "$T/out"
run L --as feed query --json quorvanechild
expect_out '"id":"MIXED-1"' "...which a reader with the group finds"

# A marked element whose text is all in the marked elements inside it
# marks the banner, and is no portion: stored, a (U) section around NOFORN
# paragraphs listed the report to every partner (helper-25).
cat >"$T/blank.xml" <<'XML'
<doc xmlns:ism="urn:us:gov:ic:ism" id="BLANKSEC-1" ism:resourceElement="true" ism:createDate="2025-01-12" ism:classification="S" ism:ownerProducer="USA" ism:disseminationControls="NF"><section ism:classification="U" ism:ownerProducer="USA">
  <p ism:classification="S" ism:ownerProducer="USA" ism:disseminationControls="NF">Blanksec one.</p>
  <p ism:classification="S" ism:ownerProducer="USA" ism:disseminationControls="NF">Blanksec two.</p>
</section></doc>
XML
run L --as feed ingest --quiet "$T/blank.xml"
expect_rc 0 "a generic report with a blank (U) container is stored"
run L --as gbr get BLANKSEC-1
check "...and is none of GBR's: exactly as a missing report" \
	sh -c "test $rc -eq $missing_rc && cmp -s '$T/out' '$T/missing.out'"
run L --as gbr query --json --limit 1000 'date:2025-01-12'
check "...not even a date: hit" sh -c "! grep -q BLANKSEC-1 '$T/out'"
run L --as feed get --format json BLANKSEC-1
check "...while the analyst reads its two paragraphs and no blank portion" \
	sh -c "test \$(grep -o '\"kind\"' '$T/out' | wc -l) -eq 2"

# An lsn:access restricts every portion inside its element: on a blank
# marked container, or around marked elements, it restricted nothing
# (helper-26); a mistyped one is refused; and the ingesting principal must
# be able to read a blank container's marking too, though it is not stored.
cat >"$T/ntkin.xml" <<'XML'
<doc xmlns:ism="urn:us:gov:ic:ism" xmlns:lsn="urn:liaison:report:1" id="NTKIN-1" ism:resourceElement="true" ism:createDate="2025-01-13" ism:classification="S" ism:ownerProducer="USA" ism:disseminationControls="REL" ism:releasableTo="USA GBR">
<sec ism:classification="S" ism:ownerProducer="USA" ism:disseminationControls="REL" ism:releasableTo="USA GBR" lsn:access="J2"> <p ism:classification="S" ism:ownerProducer="USA" ism:disseminationControls="REL" ism:releasableTo="USA GBR">Kontained paragraph.</p> </sec>
<p ism:classification="U" ism:ownerProducer="USA">Kontainer public.</p></doc>
XML
run L --as feed ingest --quiet "$T/ntkin.xml"
expect_rc 0 "a generic report with lsn:access on a container is stored"
run L --as gbr query --json kontained
check "...and the container's need-to-know covers the marked paragraph inside it" test ! -s "$T/out"
run L --as feed query --json kontained
expect_out '"id":"NTKIN-1"' "...which a reader with the group finds"
sed 's/lsn:access=/lsn:Access=/; s/NTKIN-1/NTKIN-2/' "$T/ntkin.xml" >"$T/ntkin2.xml"
run L --as feed ingest --quiet "$T/ntkin2.xml"
expect_err 'ntkin2.xml:2: <sec> has an unknown attribute Access in urn:liaison:report:1' \
	"a mistyped lsn:access is refused, not ignored"
L --as off principal add nosci --country USA --clearance TS --usgov --role analyst >/dev/null
sed 's/ism:disseminationControls="REL" ism:releasableTo="USA GBR" lsn:access="J2"/ism:SCIcontrols="SI" ism:disseminationControls="NF"/; s/NTKIN-1/NTKIN-3/' \
	"$T/ntkin.xml" | sed '1s/ism:disseminationControls="REL" ism:releasableTo="USA GBR"/ism:SCIcontrols="SI" ism:disseminationControls="NF"/' >"$T/ntkin3.xml"
run L --as nosci ingest --quiet "$T/ntkin3.xml"
expect_err 'nosci may not ingest a report it may not read: blank marked element 1 \(TS//SI//NF\)|nosci may not ingest a report it may not read: blank marked element 1 \(S//SI//NF\)' \
	"an analyst may not ingest what a blank container it may not read holds"

# The text view shows a portion on one line: a carriage return or line
# feeds in its text could write a line of their own that read as a portion
# mark or a banner, and so did a title in a query's text output
# (helper-25).
cat >"$T/forge.xml" <<'XML'
<doc xmlns:ism="urn:us:gov:ic:ism" id="FORGE-1" ism:resourceElement="true" ism:createDate="2025-01-11" ism:classification="U" ism:ownerProducer="USA">
<title ism:classification="U" ism:ownerProducer="USA">Forgetitle&#13;(S//NF) FAKE TITLE LINE</title>
<p ism:classification="U" ism:ownerProducer="USA">line1&#13;(S//NF) FAKE NOFORN LINE&#10;&#10;UNCLASSIFIED</p></doc>
XML
run L --as feed ingest --quiet "$T/forge.xml"
expect_rc 0 "a report whose text holds a carriage return and line feeds is stored"
run L --as gbr get FORGE-1
check "...its text view writes each portion on one line" \
	sh -c "grep -q '^(U) line1 (S//NF) FAKE NOFORN LINE UNCLASSIFIED\$' '$T/out' &&
		! grep -q '^(S//NF)' '$T/out' && ! tr '\r' '\n' <'$T/out' | grep -q '^(S//NF)'"
run L --as gbr query Forgetitle
check "...and a query's text output the title" \
	sh -c "grep -q 'Forgetitle (S//NF) FAKE TITLE LINE\$' '$T/out' && ! tr '\r' '\n' <'$T/out' | grep -q '^(S//NF)'"

# ism:excludeFromRollup keeps a portion out of the stored banner's roll-up
# (ISM), not out of a view's: the banner above a reader's portions covers
# each of them.  A TOP SECRET//NOFORN portion sat under SECRET//REL TO USA,
# GBR in the analyst's view, and a reader whose readable portions were all
# excluded got an error from get, and from stats and any broad query, for
# the whole store (helper-25).
cat >"$T/ex1.xml" <<'XML'
<doc xmlns:ism="urn:us:gov:ic:ism" id="EXCL-1" ism:resourceElement="true" ism:createDate="2025-01-09" ism:classification="S" ism:ownerProducer="USA" ism:disseminationControls="REL" ism:releasableTo="USA GBR">
<p ism:classification="S" ism:ownerProducer="USA" ism:disseminationControls="REL" ism:releasableTo="USA GBR">Excluderel paragraph.</p>
<p ism:classification="TS" ism:ownerProducer="USA" ism:disseminationControls="NF" ism:excludeFromRollup="true">Excludenf paragraph.</p></doc>
XML
cat >"$T/ex2.xml" <<'XML'
<doc xmlns:ism="urn:us:gov:ic:ism" id="EXCL-2" ism:resourceElement="true" ism:createDate="2025-01-10" ism:classification="S" ism:ownerProducer="USA" ism:disseminationControls="NF">
<title ism:classification="S" ism:ownerProducer="USA" ism:disseminationControls="REL" ism:releasableTo="USA GBR" ism:excludeFromRollup="true">Excludetitle</title>
<p ism:classification="S" ism:ownerProducer="USA" ism:disseminationControls="NF">Excludenf two.</p></doc>
XML
run L --as feed ingest --quiet "$T/ex1.xml" "$T/ex2.xml"
expect_rc 0 "reports with excluded portions are stored"
run L --as feed get EXCL-1
check "the analyst's view of an excluded TS//NF portion: the banner covers it" \
	sh -c "head -n 1 '$T/out' | grep -qx 'TOP SECRET//NOFORN'"
run L --as gbr get EXCL-2
check "GBR's view of a report whose readable portions are all excluded: a view" \
	sh -c "test $rc -eq 0 && head -n 1 '$T/out' | grep -qx 'SECRET//REL TO USA, GBR'"
run L --as gbr stats
expect_rc 0 "...and GBR's stats still work"
run L --as gbr query --json --limit 1000 'NOT zzqqxxjj'
expect_out '"id":"EXCL-2"' "...and its broad queries"
L --as feed get --format xml EXCL-1 >"$R-excl.xml" 2>/dev/null
run "$LIAISON" --store "$R" --as ana ingest --json "$R-excl.xml"
expect_out '"stored":1,' "...and the analyst's XML view ingests under the banner it shows"

# DISPLAY ONLY: the JSON view says which portions GBR may view, not export,
# as query --json says it of a hit.
cat >"$T/disp.xml" <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<report xmlns="urn:liaison:report:1" xmlns:ism="urn:us:gov:ic:ism" id="DISP-1"
        ism:resourceElement="true" ism:createDate="2024-03-03"
        ism:classification="S" ism:ownerProducer="USA" ism:disseminationControls="DISPLAYONLY" ism:displayOnlyTo="GBR">
  <title ism:classification="U" ism:ownerProducer="USA">Lanternfish crossing</title>
  <date>2024-03-03</date>
  <body>
    <p ism:classification="S" ism:ownerProducer="USA" ism:disseminationControls="REL" ism:releasableTo="USA GBR">Released lanternfish paragraph.</p>
    <p ism:classification="S" ism:ownerProducer="USA" ism:disseminationControls="DISPLAYONLY" ism:displayOnlyTo="GBR">Viewed lanternfish paragraph.</p>
  </body>
</report>
XML
run L --as feed ingest --quiet "$T/disp.xml"
expect_rc 0 "a report with a DISPLAY ONLY GBR portion is stored"
run L --as gbr get --format json DISP-1
expect_out '"display_only":true,"portions":\[' "get --format json: the view is DISPLAY ONLY for GBR"
expect_out '"text":"Viewed lanternfish paragraph.","display_only":true\}' "...and so is its DISPLAY ONLY portion"
check "...and only that one" test "$(grep -o '"display_only":true' "$T/out" | wc -l)" -eq 2
run L --as gbr query --json lanternfish
expect_out '"id":"DISP-1".*"display_only":true' "...as query --json says of the hit"
run L --as ana get --format json DISP-1
check "...and not for a US government reader" sh -c "! grep -q display_only '$T/out'"

# Foreign information from several sources, not JOINT (CAPCO 2016 FGI,
# "(//CAN DEU S//REL TO USA, CAN, DEU)"): it was taken for JOINT, which no
# US reader owns, so not even a US analyst could ingest it.  Helper-19.
cat >"$T/fgi.xml" <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<doc xmlns:ism="urn:us:gov:ic:ism" ism:resourceElement="true" ism:createDate="2024-03-04"
     ism:classification="S" ism:ownerProducer="CAN DEU" ism:disseminationControls="REL" ism:releasableTo="USA CAN DEU">
  <title ism:classification="S" ism:ownerProducer="CAN DEU" ism:disseminationControls="REL" ism:releasableTo="USA CAN DEU">Ferrymoss combined assessment</title>
  <p ism:classification="S" ism:ownerProducer="CAN DEU" ism:disseminationControls="REL" ism:releasableTo="USA CAN DEU">Ferrymoss paragraph from two partners.</p>
</doc>
XML
run L --as feed ingest --json "$T/fgi.xml"
expect_out '"status":"stored"' "a report of two foreign owners (not JOINT) is stored by a US analyst"
run L --as ana query ferrymoss
expect_out '//CAN DEU SECRET//REL TO USA, CAN, DEU' "...a US reader finds it, under its foreign banner"
run L --as deu query ferrymoss
expect_out 'Ferrymoss combined assessment' "...and so does DEU, named in its REL TO"
run L --as gbr query ferrymoss
check "...but not GBR" test ! -s "$T/out"

# Options may follow the arguments: "--json" after the query was searched
# for as a word (no hits, exit 0), and "get ID --format json" was taken for
# a second id.  Found by helper-20.
run L --as gbr query lanternfish --json
expect_out '^\{"id":"DISP-1"' "an option after the query text is an option"
run L --as gbr query lanternfish --limit
expect_rc 64 "...and one missing its argument is a usage error"
expect_err "option --limit needs an argument" "...saying so"
run L --as gbr get DISP-1 --format json
expect_out '^\{"id":"DISP-1"' "get ID --format json: the option after the id"
run L --as gbr query -- --json
expect_rc 0 "after --, a word that looks like an option is searched for"
run L --as gbr query -x lanternfish
expect_rc 64 "an unknown short option is a usage error"
expect_err "^liaison: query: unknown option '-x' \\(try --help\\)$" \
	"...named as such, in liaison: <what>: <why> (it was 'liaison query: option --? needs an argument')"

# A title the partner may not read.
cat >"$T/title.xml" <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<report xmlns="urn:liaison:report:1" xmlns:ism="urn:us:gov:ic:ism" id="TITLE-NF"
        ism:resourceElement="true" ism:createDate="2024-03-02"
        ism:classification="S" ism:ownerProducer="USA" ism:disseminationControls="NF">
  <title ism:classification="S" ism:ownerProducer="USA" ism:disseminationControls="NF">Halyardmoon title words</title>
  <date>2024-03-02</date>
  <body>
    <p ism:classification="S" ism:ownerProducer="USA" ism:disseminationControls="REL" ism:releasableTo="USA GBR">Releasable weatherglass paragraph.</p>
  </body>
</report>
XML
L --as ana ingest --quiet --fix-banner "$T/title.xml"
run L --as gbr query --json weatherglass
expect_out '"id":"TITLE-NF","title":"\[title withheld\]","banner":"SECRET//REL TO USA, GBR"' \
	"an unreadable title shows as [title withheld], the banner as the readable roll-up"
run L --as gbr query --json Halyardmoon
check "...and its words give no hit" test ! -s "$T/out"
run L --as gbr query --json 'title:weatherglass'
check "a field query only looks in that field" test ! -s "$T/out"

# Fields, operators, order, limits.
run L --as ana query --json 'country:AFG'
expect_out '"id":"IIR-2024-0001"' "country: finds the report about AFG"
run L --as ana query --json 'convoy AND NOT route'
check "NOT excludes" sh -c "! grep -q 'IIR-2024-0001\"' '$T/out'"
run L --as ana query --json 'date:2024-01-01..2024-01-31'
check "date ranges" test "$(grep -c '"date":"2024-01' "$T/out")" -eq "$(wc -l <"$T/out")"
check "...find every January report" test "$(wc -l <"$T/out")" -eq 2
# A generic document's createDate is not schema-checked: one that is not a
# calendar day is rejected (a report no date: range, order or month count
# could place), with its line; a valid one, white space and time zone
# allowed, is found by date: ranges read either way (a few months: their
# month words; wider: every report's).
generic() {
	cat >"$T/generic.xml" <<XML
<?xml version="1.0"?>
<r xmlns:ism="urn:us:gov:ic:ism" id="$1" ism:resourceElement="true" ism:createDate="$2"
   ism:classification="U" ism:ownerProducer="USA"><p ism:classification="U" ism:ownerProducer="USA">Lanternwick dated.</p></r>
XML
}
generic GOODDATE-1 " 2024-12-02+01:00 "
run L --as ana ingest --quiet "$T/generic.xml"
expect_rc 0 "a generic document whose createDate is a day (white space, a time zone) is stored"
generic BADDATE-1 2024-13-02
run L --as ana ingest --quiet "$T/generic.xml"
expect_rc 65 "...one whose createDate is not a calendar day is rejected"
expect_err 'generic.xml:3: ism:createDate "2024-13-02" is not a date: YYYY-MM-DD, a day that exists, year 0001-9999$' \
	"...with its line and why"
run L --as ana query --json Lanternwick
check "...and not stored" test "$(wc -l <"$T/out")" -eq 1
for r in 2024-12-01..2025-01-31 2000-01-01..2030-12-31; do
	run L --as ana query --json "Lanternwick date:$r"
	check "date:$r finds the calendar date" grep -q '"id":"GOODDATE-1"' "$T/out"
	run L --as ana query --json --limit 1000 "date:$r"
	check "...and so does date:$r alone" grep -q '"id":"GOODDATE-1"' "$T/out"
done
# A view larger than stdio's buffer comes out whole, in every format: the
# last portion and the closing banner too (it was cut at its size modulo
# 4 KiB).
{
	cat <<XML
<?xml version="1.0"?>
<r xmlns:ism="urn:us:gov:ic:ism" id="LONG-1" ism:resourceElement="true" ism:createDate="2024-12-03"
   ism:classification="U" ism:ownerProducer="USA">
XML
	i=0
	while [ $i -lt 40 ]; do
		echo "<p ism:classification=\"U\" ism:ownerProducer=\"USA\">Paragraph $i of a long report: filler words about nothing in particular, repeated to pass several kilobytes.</p>"
		i=$((i + 1))
	done
	echo '<p ism:classification="U" ism:ownerProducer="USA">Quillbrook closes it.</p></r>'
} >"$T/long.xml"
run L --as ana ingest --quiet "$T/long.xml"
expect_rc 0 "a report of about 5 KB is stored"
run L --as gbr get LONG-1
check "...and its text view is whole (last portion, closing banner)" \
	sh -c "test \$(wc -c <'$T/out') -gt 4200 && grep -q Quillbrook '$T/out' && tail -n 1 '$T/out' | grep -qx UNCLASSIFIED"
for fmt in xml json; do
	run L --as gbr get --format $fmt LONG-1
	check "...and so is its $fmt view" sh -c "test \$(wc -c <'$T/out') -gt 4200 && grep -q 'Quillbrook closes it' '$T/out'"
done
run L --as ana query --json --limit 3 'date:2024-01-01..2025-12-31'
check "--limit caps the hits" test "$(wc -l <"$T/out")" -eq 3
check "...newest first" sh -c "cut -d'\"' -f16 '$T/out' | sort -r | cmp -s - '$T/dates' 2>/dev/null || { cut -d'\"' -f16 '$T/out' >'$T/d1'; sort -r '$T/d1' | cmp -s - '$T/d1'; }"
run L --as ana query --json --offset 1 --limit 2 'date:2024-01-01..2025-12-31'
check "--offset skips" test "$(wc -l <"$T/out")" -eq 2
run L --as ana query --json 'class:<=C'
check "class:<=C finds only C and U views" sh -c "! grep -Eq 'banner\":\"(SECRET|TOP SECRET)' '$T/out' && test -s '$T/out'"
run L --as ana query --json 'rel:GBR'
expect_out '"id":"IIR-2024-0005"' "rel:GBR finds REL TO USA, GBR reports"
expect_out '"id":"IIR-2024-0001".*"banner":"SECRET//REL TO USA, FVEY"' "...and REL TO USA, FVEY ones (GBR is a member)"
check "...but not REL TO USA, AUS ones" sh -c "! grep -q 'REL TO USA, AUS\"' '$T/out'"
run L --as ana query 'rel:ZZZ'
expect_rc 65 "rel: with a code not in the registry is refused"
expect_err 'rel:ZZZ: not a country or tetragraph of the registry' "...saying so"

run L --as ana query 'convoy AND (route OR'
expect_rc 65 "a bad query exits 65"
expect_err 'at position [0-9]+:' "...naming the position"
run L --as ana query 'nofield:value'
expect_err '^liaison: query: at position 0: unknown field "nofield"' "an unknown field is named"
q=""; i=0; while [ $i -lt 1000 ]; do q="$q w$i OR"; i=$((i+1)); done
run L --as ana query "$q last"
expect_rc 65 "1,000 ORs are refused"
expect_err 'longer than 4096 bytes|more than 64 terms' "...with a clear message"
q=""; i=0; while [ $i -lt 100 ]; do q="$q w$i OR"; i=$((i+1)); done
run L --as ana query "$q last"
expect_rc 65 "100 ORs are refused too"
expect_err 'at position [0-9]+: more than 64 terms: narrow the query' "...for their number of terms"

# stats count only what the principal may read.
run L --as gbr stats --json
check "stats never count a report GBR cannot read" sh -c "! grep -q 'TITLE-NF\|NF-ONLY' '$T/out'"
g=$(sed -n 's/.*"dimension":"classification".*"count":\([0-9]*\).*/\1/p' "$T/out" | paste -sd+ | bc 2>/dev/null || echo 0)
a_out=$(L --as ana stats --json | sed -n 's/.*"dimension":"classification".*"count":\([0-9]*\).*/\1/p' | awk '{s+=$1} END {print s}')
g_out=$(sed -n 's/.*"dimension":"classification".*"count":\([0-9]*\).*/\1/p' "$T/out" | awk '{s+=$1} END {print s}')
check "the analyst counts more reports than GBR" test "$a_out" -gt "$g_out"
run L --as ana stats
expect_out '^classification$' "stats prints a table"

# Every query and get is audited, including the empty and the denied ones
# (a query in two entries: its answer's, then its withheld count's).
before=$(L --as off info --json | sed -n 's/.*"audit_entries":\([0-9]*\).*/\1/p')
L --as gbr query nothingmatchesthis >/dev/null
L --as gbr get NF-ONLY-1 >/dev/null 2>&1
after=$(L --as off info --json | sed -n 's/.*"audit_entries":\([0-9]*\).*/\1/p')
check "an empty query and a denied get are both audited" test "$after" -eq $((before + 3))

# A generic document's title is optional: one GBR may not read must look
# exactly like none (the placeholder told that an unreadable one exists).
NF='ism:classification="S" ism:ownerProducer="USA" ism:disseminationControls="NF"'
RG='ism:classification="S" ism:ownerProducer="USA" ism:disseminationControls="REL" ism:releasableTo="USA GBR"'
gen_title() { # ID TITLE-ELEMENT
	printf '<?xml version="1.0"?>\n<doc xmlns:ism="urn:us:gov:ic:ism" id="%s" ism:resourceElement="true" ism:createDate="2024-04-04" %s>%s<para %s>Readable gnupara %s.</para></doc>\n' \
		"$1" "$RG" "$2" "$RG" "$1" >"$T/$1.xml"
}
gen_title GEN-NFTITLE "<title $NF>Secret title</title>"
gen_title GEN-NOTITLE ""
sed -i "s/ism:classification=\"S\" ism:ownerProducer=\"USA\" ism:disseminationControls=\"REL\" ism:releasableTo=\"USA GBR\">/$NF>/" "$T/GEN-NFTITLE.xml"
L --as feed ingest --quiet --fix-banner "$T/GEN-NFTITLE.xml" "$T/GEN-NOTITLE.xml"
run L --as gbr query --json gnupara
expect_out '"id":"GEN-NFTITLE","title":"\(untitled\)"' \
	"a generic document's unreadable title is shown as none"
expect_out '"id":"GEN-NOTITLE","title":"\(untitled\)"' "...as for one that has none"
for f in text json xml; do
	run L --as gbr get --format $f GEN-NFTITLE
	sed 's/GEN-NFTITLE/GEN-X/g' "$T/out" >"$T/nf.$f"
	run L --as gbr get --format $f GEN-NOTITLE
	sed 's/GEN-NOTITLE/GEN-X/g' "$T/out" >"$T/no.$f"
	check "...and get --format $f shows the two alike" cmp -s "$T/nf.$f" "$T/no.$f"
done

# A store whose postings have another layout (here: its layout record
# removed, as in a store written before layouts were recorded) is refused
# with a clear message by query and ingest alike, not misread.
if command -v mdb_dump >/dev/null 2>&1 && command -v mdb_load >/dev/null 2>&1; then
	mdb_dump -a "$S" | awk '
		/^database=/ { db = substr($0, 10) }
		db == "meta" && skip { skip = 0; next }
		db == "meta" && $0 == " " hex { skip = 1; next }
		{ print }' hex="$(printf 'data/index-format' | od -An -tx1 | tr -d ' \n')" \
		>"$T/old.dump"
	rm -rf "$T/old" && mkdir "$T/old" && mdb_load -f "$T/old.dump" "$T/old" &&
		cp "$S.key" "$T/old.key"
	run "$LIAISON" --store "$T/old" --as ana query convoy
	expect_rc 65 "a store with an unrecorded index layout: query exits 65"
	expect_err '^liaison: query: this store.s search index has layout 1, and this liaison reads layout 11: ingest the reports again into a new store$' \
		"...saying what to do"
	run "$LIAISON" --store "$T/old" --as ana ingest "$LSN_SRCDIR/samples"
	expect_err 'search index has layout 1' "ingest refuses to add to it"
	run "$LIAISON" --store "$T/old" --as ana get NF-ONLY-1
	expect_err 'search index has layout 1' "get refuses it (its report labels are in the old layout too)"
	run "$LIAISON" --store "$T/old" --as ana stats
	expect_err 'search index has layout 1' "and so does stats"
	run "$LIAISON" --store "$S" --as ana query convoy
	expect_rc 0 "the original store still answers"

	# A damaged label (its first portion's marking entry number made
	# 0x1a000000): stats says the store is damaged, at once, instead of
	# growing its tables towards 2^32 entries (gigabytes) first.
	mdb_dump -a "$S" | awk '
		/^database=/ { db = substr($0, 10) }
		db == "labels" && next_is_value {
			# " " then the id in hex up to its NUL, then the label: the
			# entry number at byte 39 of it.
			i = 2; while (substr($0, i, 2) != "00") i += 2
			at = i + 2 + 2 * 39
			$0 = substr($0, 1, at - 1) "1a000000" substr($0, at + 8)
			next_is_value = 0; done = 1
		}
		db == "labels" && !done && length($0) == 17 && /^ [0-9a-f]+$/ { next_is_value = 1 }
		{ print }' >"$T/label.dump"
	rm -rf "$T/dl" && mkdir "$T/dl" && mdb_load -f "$T/label.dump" "$T/dl" && cp "$S.key" "$T/dl.key"
	run "$LIAISON" --store "$T/dl" --as ana stats
	expect_rc 65 "a label naming a marking entry far past the stored ones: stats exits 65"
	expect_err '^liaison: stats: marking entry 436207616 cannot be read \(damaged store\?\)$' \
		"...saying which entry and that the store is damaged"
else
	ok "# SKIP mdb_dump/mdb_load not installed"
	ok "# SKIP"
	ok "# SKIP"
	ok "# SKIP"
	ok "# SKIP"
	ok "# SKIP"
	ok "# SKIP"
	ok "# SKIP"
	ok "# SKIP"
fi

plan_done
