# Russian for users: a Russian locale (LANG=ru_RU.UTF-8, installed or not: soko then
# reaches the catalogue through C.UTF-8 and LANGUAGE), --lang ru and SOKO_LANG=ru — with
# the C locale too — give Russian messages and help; LANG=C, --lang en and SOKO_LANG=en
# give English; every message of the sources is translated (scripts/po-check).
# (The bad-file corpus in both languages is tests/e2e/t_reject.sh.)

# ru ARGS: soko with the locale of a Russian user
ru() { env LANG=ru_RU.UTF-8 "$SOKO" "$@"; }

registry r.db
printf 'year,school_id,grade,subject,Кол-во участников,отметка 2,отметка 3,отметка 4,отметка 5\n2025,344,5,Математика,50,4,20,15,10\n' > bad.csv
ru_msg='bad.csv:2:E: столбец E «Кол-во участников»: сумма отметок равна 49, а участников 50; ожидается «отметка 2» + «отметка 3» + «отметка 4» + «отметка 5» = «Кол-во участников»'
en_msg='bad.csv:2:E: column E «Кол-во участников»: the marks add up to 49, but the participants are 50; expected «отметка 2» + «отметка 3» + «отметка 4» + «отметка 5» = «Кол-во участников»'

# each way of asking for Russian, each way of asking for English
check_lang() {   # check_lang ru|en DESCRIPTION COMMAND...
  want=$1; what=$2; shift 2
  "$@" --db r.db import vpr bad.csv >out 2>err && fail "$what: a bad file was accepted"
  if [ "$want" = ru ]; then
    [ "$(head -n 1 err)" = "$ru_msg" ] || { cat err; fail "$what: the message is not the Russian one"; }
    has err "bad.csv: отклонен; из этого файла ничего не сохранено"
  else
    [ "$(head -n 1 err)" = "$en_msg" ] || { cat err; fail "$what: the message is not the English one"; }
    has err "bad.csv: refused; nothing was stored from this file"
  fi
}
check_lang ru "LANG=ru_RU.UTF-8"              env LANG=ru_RU.UTF-8 "$SOKO"
check_lang ru "LC_ALL=ru_RU.UTF-8"            env LANG=C LC_ALL=ru_RU.UTF-8 "$SOKO"
check_lang ru "LC_MESSAGES=ru_RU.UTF-8"       env LANG=C LC_MESSAGES=ru_RU.UTF-8 "$SOKO"
check_lang ru "--lang ru"                     "$SOKO" --lang ru
check_lang ru "--lang=ru"                     "$SOKO" --lang=ru
check_lang ru "LC_ALL=C, --lang ru"           env LC_ALL=C LANG=C "$SOKO" --lang ru
check_lang ru "LC_ALL=POSIX, SOKO_LANG=ru"    env LC_ALL=POSIX SOKO_LANG=ru "$SOKO"
check_lang ru "SOKO_LANG=ru_RU.UTF-8"         env SOKO_LANG=ru_RU.UTF-8 "$SOKO"
check_lang en "LANG=C"                        env LANG=C "$SOKO"
check_lang en "no locale at all"              env -u LANG "$SOKO"
check_lang en "LANG=en_US.UTF-8"              env LANG=en_US.UTF-8 "$SOKO"
check_lang en "LANG=ru_RU.UTF-8, --lang en"   env LANG=ru_RU.UTF-8 "$SOKO" --lang en
check_lang en "LANG=ru_RU.UTF-8, SOKO_LANG=en" env LANG=ru_RU.UTF-8 SOKO_LANG=en "$SOKO"
check_lang ru "SOKO_LANG=en, --lang ru"       env SOKO_LANG=en "$SOKO" --lang ru
check_lang ru "LANGUAGE=de, --lang ru"        env LANGUAGE=de "$SOKO" --lang ru
check_lang ru "LANGUAGE=de, SOKO_LANG=ru"     env LANGUAGE=de SOKO_LANG=ru "$SOKO"
check_lang en "LANGUAGE=ru, LANG=C"           env LANGUAGE=ru LANG=C "$SOKO"
# a language soko does not speak is refused, in words
run 2 --lang de forms
has err "soko: --lang de: expected ru or en"
SOKO_LANG=fr "$SOKO" forms >out 2>err && fail "SOKO_LANG=fr was accepted"
has err "soko: SOKO_LANG=fr: expected ru or en"
# machine output does not change with the language
run 0 --db r.db schools --format csv
cp out schools.en
ru --db r.db schools --format csv >out 2>err || fail "schools --format csv under a Russian locale"
cmp -s out schools.en || fail "CSV output changed with the language"

# Russian counts, with the three plural forms
for n in 1 3 5 21 22 25; do
  { echo 'school_id,name'; i=1; while [ $i -le $n ]; do echo "$((100 + i)),Школа № $i"; i=$((i + 1)); done; } > s$n.csv
done
ru --db p.db import schools s1.csv >out 2>err || { cat err; fail "import s1"; }
has out "s1.csv: импортировано: 1 строка; прочитано: 1 запись; импорт №1"
for n in 3 5 21 22 25; do ru --db p$n.db import schools s$n.csv >out$n 2>err || { cat err; fail "import s$n"; }; done
has out3  "импортировано: 3 строки; прочитано: 3 записи"
has out5  "импортировано: 5 строк; прочитано: 5 записей"
has out21 "импортировано: 21 строка; прочитано: 21 запись"
has out22 "импортировано: 22 строки; прочитано: 22 записи"
has out25 "импортировано: 25 строк; прочитано: 25 записей"
ru --db p.db status >out 2>err || fail "status"
has out "1 строка"
ru --db p.db imports >out 2>err || fail "imports"
has out "время (местное)"

# first steps, in Russian
ru --db p.db import vpr nosuch.csv >out 2>err && fail "a missing file was accepted"
has err "soko: nosuch.csv: файл не найден; ожидается путь к вашему файлу формы vpr"
ru --db /no/such/dir/x.db import schools s1.csv >out 2>err && fail "a store in a missing folder"
has err "папки /no/such/dir не существует"
[ ! -e /no/such/dir ] || fail "a folder was created"
ru --db empty.db import vpr bad.csv >out 2>err && fail "results before the registry"
has err "реестр ОО пуст: сначала импортируйте форму schools"
[ ! -e empty.db ] || fail "a failed first import left a store"
ru --db r.db note --cluster НЕТ --out o >out 2>err && fail "an unknown cluster"
has err "кластера «НЕТ» в хранилище нет"
ru frobnicate >out 2>err && fail "an unknown command"
has err "soko: неизвестная команда «frobnicate» (см. soko --help)"
ru --db r.db forms --bogus >out 2>err && fail "an unknown option"
has err "soko: неизвестный параметр «--bogus»"

# help: every line of the overview that describes something is Russian
cyr='[АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯабвгдеёжзийклмнопрстуфхцчшщъыьэюя]'
ru --help >help.ru 2>err || fail "--help"
env LANG=C "$SOKO" --help >help.en 2>err || fail "--help (en)"
[ "$(wc -l < help.ru)" = "$(wc -l < help.en)" ] || fail "the Russian help has other lines than the English one"
has help.ru "использование: soko [--db PATH] КОМАНДА"
has help.ru "команды:"
has help.ru "код завершения:"
has help.en "commands:"
cmds=$(awk '/^commands:/ { on = 1; next } on && /^$/ { exit } on { print $1 }' help.en)
[ -n "$cmds" ] || fail "no commands in the English help"
for c in $cmds; do
  line=$(grep -E "^  $c " help.ru) || fail "the Russian help lacks the command $c"
  printf '%s\n' "$line" | grep -q "$cyr" || fail "the command $c is described in English: $line"
done
grep -E '^  --' help.ru | while IFS= read -r line; do
  printf '%s\n' "$line" | grep -q "$cyr" || fail "an option is described in English: $line"
done || exit 1
[ "$(ru help)" = "$(cat help.ru)" ] || fail "soko help differs from soko --help"
# one command's help, both ways of asking, in Russian
for c in $cmds; do
  ru help "$c" >h1 2>err || fail "help $c"
  ru "$c" --help >h2 2>err || fail "$c --help"
  cmp -s h1 h2 || fail "soko help $c and soko $c --help differ"
  grep -q "^использование: soko \[--db PATH\] $c" h1 || { cat h1; fail "help $c: no Russian usage line"; }
  has h1 "параметры:"
  sed -n '3p' h1 | grep -q "$cyr" || { cat h1; fail "help $c: the description is not Russian"; }
  grep -E '^  --' h1 | while IFS= read -r line; do
    printf '%s\n' "$line" | grep -q "$cyr" || fail "help $c: an option in English: $line"
  done || exit 1
  env LANG=C "$SOKO" help "$c" > h3 || fail "help $c (en)"
  has h3 "usage: soko [--db PATH] $c"
done
ru help import >h1
has h1 "пример:"
has h1 "проверить и сохранить файлы формы"
ru help nosuch >out 2>err && fail "help of an unknown command"
has err "soko: help: команды «nosuch» нет"

# every message of the sources is translated, none fuzzy (the catalogue is complete)
if command -v xgettext >/dev/null 2>&1; then
  "$TOP/scripts/po-check" >pocheck 2>&1 || { cat pocheck; fail "po/ru.po does not translate every message (make po, then translate)"; }
  # and the check does catch an untranslated or fuzzy entry
  sed '0,/^msgstr "только эта ОО"$/s//msgstr ""/' "$TOP/po/ru.po" > untr.po
  "$TOP/scripts/po-check" untr.po >pocheck 2>&1 && fail "po-check passed an untranslated message"
  has pocheck "only this school"
  awk '!done && /^msgid "only this cluster"$/ { print "#, fuzzy"; done = 1 } { print }' "$TOP/po/ru.po" > fuzzy.po
  "$TOP/scripts/po-check" fuzzy.po >pocheck 2>&1 && fail "po-check passed a fuzzy message"
  has pocheck "only this cluster"
fi

# installed as make install lays it out (PREFIX/bin/soko, PREFIX/share/locale), the
# program finds its Russian messages beside itself, from any folder
mo=$(dirname "$SOKO")/locale/ru/LC_MESSAGES/soko.mo
[ -s "$mo" ] || fail "no catalogue beside the binary: $mo"
mkdir -p inst/bin inst/share/locale/ru/LC_MESSAGES inst/share/soko elsewhere
cp "$SOKO" inst/bin/soko
cp "$mo" inst/share/locale/ru/LC_MESSAGES/soko.mo
cp -R "$TOP/defs/." inst/share/soko/
(cd elsewhere && env LANG=ru_RU.UTF-8 ../inst/bin/soko --help) > help.inst 2>&1 || { cat help.inst; fail "installed soko --help"; }
cmp -s help.inst help.ru || { diff help.ru help.inst | head; fail "the installed soko's help is not the Russian one"; }
(cd elsewhere && ../inst/bin/soko --lang ru --db ../r.db import vpr ../bad.csv) > out 2> err && fail "installed: a bad file was accepted"
[ "$(head -n 1 err)" = "$(echo "$ru_msg" | sed 's|^bad.csv|../bad.csv|')" ] || { cat err; fail "installed: the message is not the Russian one"; }

# the README's Russian example is what soko says
awk '/^\$ LANG=ru_RU.UTF-8 soko/ { on = 1; next } on && /^```/ { exit } on { print }' "$TOP/README.md" > readme.expect
[ -s readme.expect ] || fail "README: no Russian example"
printf 'year,school_id,grade,subject,участников,отметка 2,отметка 3,отметка 4,отметка 5\n2025,344,5,Математика,25,2,8,10,4\n' > vpr.csv
env LANG=ru_RU.UTF-8 "$SOKO" --db r.db import vpr vpr.csv > out 2> readme.got && fail "README example: accepted"
cmp -s readme.got readme.expect || { diff readme.expect readme.got; fail "the README's Russian example is not what soko says"; }
