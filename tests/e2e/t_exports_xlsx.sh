# Workbooks in: .xlsx read by content (not by extension), the sheet chosen by its header
# or by --sheet, title rows above the header skipped, messages as file[Sheet]:ROW:COL;
# the same data from .xlsx, from Excel's own CSV and from the unified form give the same
# store; encrypted, corrupt and truncated workbooks are refused with exit 1 and nothing
# stored; memory stays flat with the number of rows. The workbooks come from
# tests/fixtures/gen_exports.c (and gen_sheets.c for the damaged ones).
GEN_EXPORTS=$(dirname "$SOKO")/tests/gen_exports
GEN_SHEETS=$(dirname "$SOKO")/tests/gen_sheets
[ -x "$GEN_EXPORTS" ] || fail "$GEN_EXPORTS is not built (make $(dirname "$SOKO")/tests/gen_exports)"
[ -x "$GEN_SHEETS" ] || fail "$GEN_SHEETS is not built (make $(dirname "$SOKO")/tests/gen_sheets)"
mkdir -p x && "$GEN_EXPORTS" x || fail "gen_exports failed"
mkdir -p bad && "$GEN_SHEETS" bad >/dev/null || fail "gen_sheets failed"

reg() { printf 'school_id,name\n344,Лицей № 344\n329,Школа № 329\n' > schools.csv
        run 0 --db "$1" import schools schools.csv; }

# --- the same data three ways: the unified form, the workbook, Excel's CSV
reg u.db
cat > vpr_plain.csv <<'EOF'
year,school_id,grade,subject,participants,m2,m3,m4,m5,mean_score
2024,344,5,Математика,50,2,14,22,12,12.4
2024,329,5,Математика,31,4,12,10,5,
2024,344,6,Русский язык,48,3,15,20,10,28.25
EOF
run 0 --db u.db import vpr vpr_plain.csv

reg x.db
cp x/vpr_plain.xlsx export.dat           # the extension means nothing: the content tells
run 0 --db x.db import vpr export.dat
has out "export.dat: imported 3 rows from 3 records as import #2 (xlsx, sheet «Результаты»"
has err "note: export.dat[Результаты]:1: 1 row above the header read as the title: «Результаты ВПР 2024 года»"
has err "note: export.dat[Результаты]: 2 empty rows skipped"
has err "note: export.dat[Результаты]: this sheet was read: its header fits; the workbook's other sheets were not read (--sheet NAME chooses another)"
has err "note: export.dat[Результаты]: 1 cell held only spaces and was read as empty"

# Excel's «CSV (разделители — точка с запятой)»: Windows-1251, ';', CRLF, decimal comma,
# the title row padded to the used range, cleared rows as ';;;;'
reg e.db
{ printf 'Результаты ВПР 2024 года;;;;;;;;;\r\n;;;;;;;;;\r\n'
  printf 'Год;Код ОО;Параллель;Предмет;Кол-во участников;Отметка «2»;Отметка «3»;Отметка «4»;Отметка «5»;Средний балл\r\n'
  printf '2024;344;5;Математика;50;2;14;22;12;12,4\r\n'
  printf '2024;329;5;Математика;31;4;12;10;5;   \r\n;;;;;;;;;\r\n'
  printf '2024;344;6;Русский язык;48;3;15;20;10;28,25\r\n'; } | iconv -f UTF-8 -t CP1251 > vpr_excel.csv
run 0 --db e.db import vpr vpr_excel.csv
has out "(Windows-1251, ';'"
has err "note: vpr_excel.csv:1: 1 row above the header read as the title"

dump u.db > u.dump; dump x.db > x.dump; dump e.db > e.dump
cmp -s u.dump x.dump || { diff u.dump x.dump; fail "the workbook gives another store than the unified form"; }
cmp -s u.dump e.dump || { diff u.dump e.dump; fail "Excel's CSV gives another store than the unified form"; }
[ "$(q x.db "select school_id from vpr where mean_score is null")" = 329 ] || fail "the text 329 and the blank mean"

# the same data as .xls (Excel 97-2003, written with xlwt: python3-xlwt, scripts/deps test)
/usr/bin/python3 -c 'import xlwt' 2>/dev/null ||
  fail "python3-xlwt is not installed (scripts/deps test): the .xls fixture needs it"
/usr/bin/python3 "$TOP/tests/fixtures/gen_exports_xls.py" x || fail "gen_exports_xls.py failed"
reg l.db
run 0 --db l.db import vpr x/vpr_plain.xls
has out "vpr_plain.xls: imported 3 rows from 3 records as import #2 (xls, sheet «Результаты»"
dump l.db > l.dump
cmp -s u.dump l.dump || { diff u.dump l.dump; fail "the .xls gives another store than the unified form"; }

# re-import of the same workbook: unchanged
run 0 --db x.db import vpr export.dat
has out "unchanged: the same file is stored as import #2"

# --- check reads workbooks too, and --sheet forces a sheet
run 0 --db x.db check vpr x/vpr_plain.xlsx
has out "vpr_plain.xlsx: ok, 3 records (xlsx, sheet «Результаты»)"
run 0 --db x.db check vpr x/vpr_plain.xlsx --sheet 2
run 0 --db x.db check vpr x/vpr_plain.xlsx --sheet результаты
run 1 --db x.db check vpr x/vpr_plain.xlsx --sheet Нет
has err "vpr_plain.xlsx: no sheet 'Нет'; the sheets are 1 'Справка', 2 'Результаты'"
run 1 --db x.db check vpr x/vpr_plain.xlsx --sheet 1
has err "vpr_plain.xlsx[Справка]:1:A: column A «Выгрузка результатов ВПР» is not a column of form vpr"

# --- refusals name file[Sheet]:ROW:COLUMN, and nothing is stored
dump x.db > before
refused() {   # refused FILE TEXT: exit 1, the text, the store unchanged
  run 1 --db x.db import vpr "$1"
  has err "$2"
  has err "$(basename "$1"): refused; nothing was stored from this file"
  dump x.db > after
  cmp -s before after || fail "$1: the store changed after a refused import"
}
refused x/vpr_bad.xlsx "vpr_bad.xlsx[Лист1]:3:F: column F «Отметка «2»»: found «много»; expected a whole number"
refused x/two_sheets.xlsx "two_sheets.xlsx: no sheet has the header of form vpr in its first 30 rows (the sheets are 1 «Титул», 2 «Данные»); expected --sheet NAME or NUMBER"
refused bad/encrypted.xlsx "encrypted.xlsx: the workbook is password-protected (encrypted); expected it saved without a password"
refused bad/filepass.xls "filepass.xls: the workbook is password-protected"
refused bad/corrupt.xlsx "corrupt.xlsx: not a readable zip archive"
refused bad/truncated.xlsx "truncated.xlsx: not a readable zip archive"
refused bad/crc.xlsx "crc.xlsx[S]: part xl/worksheets/sheet1.xml cannot be decompressed: CRC error"
refused bad/calc.ods "calc.ods: an OpenDocument file (.ods), not read"
head -c 3000 x/vpr_plain.xlsx > cut.xlsx
refused cut.xlsx "cut.xlsx: not a readable zip archive"

# the registry from the second sheet of a workbook, chosen by its header
reg r.db
run 0 --db r.db import schools x/two_sheets.xlsx
has out "(xlsx, sheet «Данные»"

# --- streaming: memory does not grow with the rows (per-student rows, 40k and 160k)
# (not under a sanitizer or valgrind, whose own bookkeeping grows with the work done)
if command -v /usr/bin/time >/dev/null 2>&1 && [ "${SOKO_VALGRIND:-}" != 1 ] &&
   ! grep -q __asan_init "$SOKO"; then
  "$GEN_EXPORTS" --large 40000 small.xlsx && "$GEN_EXPORTS" --large 160000 big.xlsx ||
    fail "gen_exports --large failed"
  rss() { reg "$1.db"; /usr/bin/time -f '%M' -o "$1.rss" "$SOKO" --db "$1.db" import vpr_students "$2" >/dev/null 2>&1 ||
          fail "import of $2 failed"; cat "$1.rss"; }
  a=$(rss s small.xlsx); b=$(rss b big.xlsx)
  echo "max RSS: 40k rows $a KB, 160k rows $b KB"
  [ "$(q b.db "select sum(participants) from vpr")" = 160000 ] || fail "160k pupils not all counted"
  [ "$b" -lt $((a + a / 2)) ] || fail "memory grew with the rows: $a KB for 40k, $b KB for 160k"
fi
