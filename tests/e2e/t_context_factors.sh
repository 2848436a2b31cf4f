# Context factors from a form other than `context` (docs/analysis.md, docs/own-forms.md):
# the «500+» questionnaire (survey_500, `factors = factor, score` in its definition) gives
# the factors survey_500:CODE of the shipped model vpr_sou_risk_ctx. On generated data
# whose ВПР СОУ falls by 4.24 points per point of risk_low_motivation (planted below), the
# model recovers that slope; a factor the form does not have, a form of no factors and a
# bad `factors` key of a form definition are refused with file:line.
n=60
awk -v n=$n 'BEGIN { print "school_id,name"; for (i = 1; i <= n; i++) printf "%d,Школа № %d\n", i, i }' > schools.csv
# score s = 1..5; marks of 100 participants: m2 = 5 + 2s, m4 = 30, m5 = 40 - 6s + e,
# m3 = the rest, e = -5..5 a fixed pseudo-noise: СОУ = 69 - 4.24 s + 0.64 e
awk -v n=$n 'BEGIN { print "year,school_id,factor,score"
  for (i = 1; i <= n; i++) { s = i % 5 + 1; t = (i * 13) % 5 + 1
    printf "2026,%d,risk_low_motivation,%d\n2026,%d,risk_staff_shortage,%d\n", i, s, i, t } }' > s500.csv
awk -v n=$n 'BEGIN { print "year,school_id,grade,subject,participants,m2,m3,m4,m5"
  for (i = 1; i <= n; i++) { s = i % 5 + 1; e = (i * 7919) % 11 - 5
    m2 = 5 + 2 * s; m5 = 40 - 6 * s + e; m3 = 100 - m2 - 30 - m5
    printf "2026,%d,5,Математика,100,%d,%d,30,%d\n", i, m2, m3, m5 } }' > vpr.csv
awk -v n=$n 'BEGIN { print "year,school_id,factor,value"
  for (i = 1; i <= n; i++) printf "2026,%d,students,%d\n2026,%d,share_low_income,%d\n", i, 400 + i, i, (i * 37) % 30 + 5 }' > ctx.csv
run 0 --db d.db import --quiet schools schools.csv
for f in "survey_500 s500.csv" "vpr vpr.csv" "context ctx.csv"; do
  set -- $f; run 0 --db d.db import --quiet "$1" "$2"
done
run 0 --db d.db context --indicator vpr_sou_risk_ctx --format csv
awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) h[$i] = i; next }
  $(h["terms"]) == "(intercept);share_low_income;survey_500:risk_low_motivation;survey_500:risk_staff_shortage" {
    split($(h["coef"]), c, ";"); split($(h["coef_p"]), p, ";")
    if (c[3] + 0 > -4.6 && c[3] + 0 < -3.9 && p[3] + 0 < 0.001) ok = 1 }
  END { exit !ok }' out || { head -3 out; fail "the planted slope of risk_low_motivation (-4.24) was not recovered"; }
# the same factors group schools in clusters propose
run 0 --db d.db clusters propose --factors survey_500:risk_low_motivation,share_low_income --k 2 --out prop.csv
[ "$(wc -l < prop.csv)" = $((n + 1)) ] || fail "clusters propose: expected $n schools in prop.csv"

# refusals with file:line
mkdir bad
printf '[m]\nindicator = vpr_sou\nfactors = share_low_income,\n  survey_500:risk_staf\nbound = 2.0\n' > bad/context.ini
run 3 --db d.db --context bad/context.ini context
has err "context.ini:3: [m]: factors: got 'share_low_income, survey_500:risk_staf'; expected a factor of the form survey_500 ('survey_500:risk_staf' is none): risk_equipment, risk_staff_shortage,"
printf '[m]\nindicator = vpr_sou\nfactors = vpr:m2\nbound = 2.0\n' > bad/context.ini
run 3 --db d.db --context bad/context.ini context
has err "context.ini:3: [m]: factors: got 'vpr:m2'; expected FORM:CODE with a form whose rows are context factors (its definition says 'factors = ...'), e.g. survey_500:risk_staff_shortage ('vpr:m2' is none)"
mkdir forms
cat > forms/fq.ini <<'EOT'
[form]
title = Анкета
factors = score, factor

[column year]
type = year
key = yes

[column school_id]
type = school
key = yes

[column factor]
type = text
key = yes

[column score]
type = int
EOT
SOKO_FORMS=$PWD/forms run 3 --db d.db status
has err "fq.ini:3: [form]: factors: got 'score, factor'; expected first a key column of type text or enum that names the factor ('score' is none)"
