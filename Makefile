# soko — a plain Makefile. `make` builds ./build/soko; `make test` installs missing
# Debian packages (scripts/deps), builds and runs every test; `make demo` runs the
# main job on the shipped samples. See README.md.

CC      ?= cc
PKGS    := sqlite3 gsl cmocka inih xlsxwriter libzip libxml-2.0 freexl
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs sqlite3 gsl inih xlsxwriter libzip libxml-2.0 freexl 2>/dev/null)
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null)
WARN    := -Wall -Wextra -pedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes
CFLAGS  ?= -O2 -g
ALL_CFLAGS = -std=c11 -D_DEFAULT_SOURCE $(WARN) $(CFLAGS) $(PKG_CFLAGS) -Iengine -MMD -MP \
  -DSOKO_DATADIR='"$(DATADIR)"' -DSOKO_LOCALEDIR='"$(LOCALEDIR)"'
LIBS    := $(PKG_LIBS) -lcsv -lm -pthread
B       ?= build

PREFIX  ?= /usr/local
DESTDIR ?=
DATADIR := $(PREFIX)/share/soko
LOCALEDIR := $(PREFIX)/share/locale

LIB_SRC := $(filter-out engine/cli%.c,$(wildcard engine/*.c))
CLI_SRC := $(wildcard engine/cli*.c)
LIB_OBJ := $(LIB_SRC:engine/%.c=$(B)/engine/%.o)
CLI_OBJ := $(CLI_SRC:engine/%.c=$(B)/engine/%.o)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)

.PHONY: po po-check test-browser test-docx all deps test unit e2e demo check-asan check-valgrind bench install clean samples-check fuzz fuzz-build

all: $(B)/soko $(B)/locale/ru/LC_MESSAGES/soko.mo

deps:
	@scripts/deps build

$(B)/engine/%.o: engine/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(B)/libsoko.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(B)/soko: $(CLI_OBJ) $(B)/libsoko.a $(B)/locale/ru/LC_MESSAGES/soko.mo
	$(CC) $(ALL_CFLAGS) -o $@ $(CLI_OBJ) $(B)/libsoko.a $(LIBS) $(LDFLAGS)

# ---------------------------------------------------------------- messages
# po/ru.po is the Russian catalogue; the binary finds EXE_DIR/locale (a build tree),
# EXE_DIR/../share/locale (an install) or $(LOCALEDIR). `make po` brings po/soko.pot
# and po/ru.po up to date with the sources (xgettext, msgmerge).
$(B)/locale/ru/LC_MESSAGES/soko.mo: po/ru.po
	@mkdir -p $(dir $@)
	msgfmt --check -o $@ po/ru.po

# `make po-check` (scripts/po-check) prints every message of the sources that po/ru.po
# does not translate, or translates fuzzily, and fails; tests/e2e/t_i18n.sh runs it.
po:
	scripts/po-check --update

po-check:
	scripts/po-check

$(B)/tests/%: tests/unit/%.c $(B)/libsoko.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(B)/libsoko.a $(LIBS) $(CMOCKA_LIBS) $(LDFLAGS)

# the spreadsheet fixtures of test_sheet, written at test time (tests/fixtures/gen_sheets.c)
$(B)/tests/gen_sheets: tests/fixtures/gen_sheets.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIBS) $(LDFLAGS)
$(B)/tests/test_sheet: $(B)/tests/gen_sheets
# the exports of tests/e2e/t_exports_xlsx.sh (tests/fixtures/gen_exports.c)
$(B)/tests/gen_exports: tests/fixtures/gen_exports.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIBS) $(LDFLAGS)

$(B)/soko-gen: samples/gen.c
	@mkdir -p $(B)
	$(CC) -std=c11 -O2 -Wall -Wextra -pedantic samples/gen.c -lm -o $@

# ---------------------------------------------------------------- tests
# `make test` is what CI runs: dependencies, build, unit tests, end-to-end tests,
# and the same suite again under ASan+UBSan.
test:
	@scripts/deps test fuzz
	@$(MAKE) --no-print-directory unit e2e
	@$(MAKE) --no-print-directory check-asan
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=$(TEST_FUZZ_SECONDS)

unit: $(UNIT_BIN)
	@fail=0; for t in $(UNIT_BIN); do echo "== $$t"; $$t || fail=1; done; exit $$fail

e2e: $(B)/soko $(B)/soko-gen $(B)/tests/gen_exports $(B)/tests/gen_sheets
	@SOKO=$(abspath $(B)/soko) SOKO_GEN=$(abspath $(B)/soko-gen) tests/e2e/run

check-asan:
	@$(MAKE) --no-print-directory B=$(B)-asan CC=gcc \
	  CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
	  LDFLAGS="-fsanitize=address,undefined" unit e2e

# `make fuzz`: every libFuzzer target tests/fuzz/fuzz_*.c, built with clang and
# ASan+UBSan in $(B)-fuzz, runs FUZZ_SECONDS from its seed corpus (tests/fuzz/run).
FUZZ_SECONDS ?= 60
TEST_FUZZ_SECONDS ?= 20
FUZZ_BIN = $(patsubst tests/fuzz/%.c,$(B)/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))
fuzz:
	@scripts/deps fuzz
	@$(MAKE) --no-print-directory B=$(B)-fuzz CC=clang \
	  CFLAGS="-O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
	  LDFLAGS="-fsanitize=fuzzer,address,undefined" fuzz-build
	@tests/fuzz/run $(B)-fuzz $(FUZZ_SECONDS)

fuzz-build: $(FUZZ_BIN)

$(B)/fuzz/%: tests/fuzz/%.c $(B)/libsoko.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(B)/libsoko.a $(LIBS) $(LDFLAGS)

check-valgrind: $(B)/soko $(UNIT_BIN)
	@for t in $(UNIT_BIN); do valgrind -q --error-exitcode=9 --leak-check=full $$t >/dev/null || exit 1; done
	@SOKO_VALGRIND=1 SOKO=$(abspath $(B)/soko) SOKO_GEN=$(abspath $(B)/soko-gen) tests/e2e/run

samples-check: $(B)/soko-gen
	@tmp=$$(mktemp -d); $(B)/soko-gen --preset district --seed 1 --out $$tmp && diff -r samples/district $$tmp && rm -rf $$tmp && echo "samples/district is the generator's output"

# ---------------------------------------------------------------- demo
DEMO_DB := reports/demo/soko.db
demo:
	@scripts/deps build
	@$(MAKE) --no-print-directory $(B)/soko
	@mkdir -p reports/demo && rm -f $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm
	@for f in schools clusters context vpr vpr_students oge ege rdr olympiad admissions \
	  vpr_plan vpr_tasks vpr_reference_tasks vpr_reference \
	  career contests directors gifted niko recheck survey_500 context_class training_exam znak; do \
	  $(B)/soko --db $(DEMO_DB) import $$f samples/district/$$f.csv || exit 1; done
	@$(B)/soko --db $(DEMO_DB) status
	@$(B)/soko --db $(DEMO_DB) report --out reports/demo --quiet
	@echo "The store is $(DEMO_DB); try: $(B)/soko --db $(DEMO_DB) imports"
	@echo "The district report with every cluster's note: open reports/demo/index.html"

# `make test-browser`: installs chromium (scripts/deps browser), renders a note of the
# samples and checks in headless Chromium that the page shows its SVG charts.
test-browser: $(B)/soko
	@scripts/deps browser
	@SOKO=$(abspath $(B)/soko) tests/browser/run

# `make test-docx`: installs LibreOffice (scripts/deps docx), writes a note and a card
# with --docx, opens them in LibreOffice headless and checks the printed pages.
test-docx: $(B)/soko
	@scripts/deps docx
	@SOKO=$(abspath $(B)/soko) tests/browser/docx

# ---------------------------------------------------------------- bench
# `make bench`: bench/run — soko next to libcsv, sqlite3 and DuckDB (scripts/deps bench)
# at 500, 2000 and 8000 schools (BENCH_FULL=1: also 40000; BENCH_SIZES="200 500" for a
# quick run); the table goes to bench/out/results.md (bench/README.md). Never fails on a
# slow machine. bench/import and bench/memory run alone.
bench: $(B)/soko $(B)/soko-gen $(B)/bench-csvcount
	@SOKO=$(abspath $(B)/soko) SOKO_GEN=$(abspath $(B)/soko-gen) bench/run

# ---------------------------------------------------------------- install
install: $(B)/soko
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(DATADIR) $(DESTDIR)$(PREFIX)/share/man/man1 \
	  $(DESTDIR)$(PREFIX)/share/man/ru/man1 $(DESTDIR)$(LOCALEDIR)/ru/LC_MESSAGES
	install -m 755 $(B)/soko $(DESTDIR)$(PREFIX)/bin/soko
	cp -R defs/. $(DESTDIR)$(DATADIR)/
	install -m 644 $(B)/locale/ru/LC_MESSAGES/soko.mo $(DESTDIR)$(LOCALEDIR)/ru/LC_MESSAGES/soko.mo
	install -m 644 docs/soko.1 $(DESTDIR)$(PREFIX)/share/man/man1/soko.1
	install -m 644 docs/soko.ru.1 $(DESTDIR)$(PREFIX)/share/man/ru/man1/soko.1

clean:
	rm -rf build build-asan build-fuzz

-include $(wildcard $(B)/engine/*.d $(B)/tests/*.d $(B)/fuzz/*.d)

$(B)/bench-csvcount: bench/csvcount.c
	@mkdir -p $(B)
	$(CC) -std=c11 -O2 -Wall -Wextra bench/csvcount.c -lcsv -o $@
