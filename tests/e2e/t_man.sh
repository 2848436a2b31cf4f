# The man pages (docs/soko.1, docs/soko.ru.1, installed as man1/soko.1 and
# ru/man1/soko.1) describe every command and option that `soko help` lists, every
# environment variable soko reads, and render without a warning.
run 0 help
cmds=$(awk '/^commands:/ { on = 1; next } on && /^$/ { exit } on { print $1 }' out)
opts=$(grep -o -- '^  --[a-z-]*' out | tr -d ' ')
for page in "$TOP/docs/soko.1" "$TOP/docs/soko.ru.1"; do
  [ -s "$page" ] || fail "no $page"
  for c in $cmds; do
    grep -qE "^\\\\fB$c(\\\\fR| )|^\.B $c( |\$)" "$page" || fail "$(basename "$page"): no entry for the command $c"
  done
  for o in $opts; do
    esc=$(printf '%s' "$o" | sed 's/-/\\-/g')
    grep -qF -- "\\fB$esc\\fR" "$page" || fail "$(basename "$page"): no option $o"
  done
  for v in SOKO_DB SOKO_HOME SOKO_LAYOUTS SOKO_LANG SOKO_BUSY_TIMEOUT SOKO_EVAL_SECONDS \
           SOKO_EVAL_MEMORY_MB SOKO_NOTE_INI NO_COLOR; do
    grep -q "^\.B $v\$" "$page" || fail "$(basename "$page"): no environment variable $v"
  done
  if command -v groff >/dev/null 2>&1 && command -v preconv >/dev/null 2>&1; then
    LC_ALL=C.UTF-8 preconv "$page" | groff -man -Tutf8 -ww -z 2> warn
    [ ! -s warn ] || { cat warn; fail "$(basename "$page") renders with warnings"; }
  fi
done
# the variables the man page names are the ones the code reads
for v in $(grep -ho 'getenv("[A-Z_]*")' "$TOP"/engine/*.c | sed 's/getenv("\(.*\)")/\1/' | sort -u); do
  case $v in LC_ALL|LC_MESSAGES|LANG|TERM|SOKO_SHA_PORTABLE) continue ;; esac
  grep -q "^\.B $v\$" "$TOP/docs/soko.1" || fail "soko.1 does not document $v, which soko reads"
done
grep -q 'share/man/ru/man1/soko.1' "$TOP/Makefile" || fail "make install does not install the Russian page"
# the Russian page says what the English one says: the same options and environment
# variables, as many sections and entries
for what in '\\fB(\\-)+[a-z]+(\\-[a-z]+)*\\fR' '^\.B [A-Z_]+$' '^\.SH' '^\.TP'; do
  case $what in
    '^\.SH'|'^\.TP') en=$(grep -cE -- "$what" "$TOP/docs/soko.1"); ru=$(grep -cE -- "$what" "$TOP/docs/soko.ru.1") ;;
    *) en=$(grep -oE -- "$what" "$TOP/docs/soko.1" | LC_ALL=C sort -u)
       ru=$(grep -oE -- "$what" "$TOP/docs/soko.ru.1" | LC_ALL=C sort -u) ;;
  esac
  [ -n "$en" ] && [ "$en" != 0 ] || fail "no $what in soko.1"
  [ "$en" = "$ru" ] || { printf "en: %s\nru: %s\n" "$en" "$ru"; fail "soko.1 and soko.ru.1 differ in $what"; }
done
