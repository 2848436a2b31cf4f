# --years is read by one parser (cli_years) for every analysis command: the same
# values are accepted and refused everywhere; a note needs a closed window.
for f in schools clusters vpr oge ege; do run 0 --db y.db import "$f" "$SAMPLES/$f.csv"; done
D="--db y.db --indicators $TOP/defs/indicators"
for cmd in indicators trends flags; do
  for bad in 2026-2024 1999 2024-20x 2024/2026 -; do
    run 2 $D $cmd --years "$bad" --indicator vpr_fail
  done
done
run 0 $D indicators --indicator vpr_fail --years 2025- --format csv
hasnt out ",2024,"
has out ",2025,"
run 0 $D indicators --indicator vpr_fail --years -2024 --format csv
hasnt out ",2025,"
run 0 $D trends --indicator vpr_fail --years 2024-2026 --format csv
for bad in 2025- -2026 2026-2024; do run 2 $D note --cluster nevsky_stem --out n --years "$bad"; done
