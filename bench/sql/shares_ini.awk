# bench/sql/shares_ini.awk — the sections of the 6 ВПР share indicators (vpr_fail,
# vpr_pass, vpr_quality, vpr_lowered, vpr_confirmed, vpr_raised) out of
# defs/indicators/vpr.ini, as they are: an --indicators file for `soko indicators` that does
# exactly the work of bench/sql/shares.sql.  Usage: awk -f shares_ini.awk vpr.ini
BEGIN { split("vpr_fail vpr_pass vpr_quality vpr_lowered vpr_confirmed vpr_raised", w, " ")
        for (i in w) want[w[i]] = 1 }
/^[ \t]*\[/ { s = $0; gsub(/[][ \t\r]/, "", s); keep = (s in want) }
keep
