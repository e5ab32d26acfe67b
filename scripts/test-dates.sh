#!/usr/bin/env bash
# The test suite with the machine's clock set to each of a spread of dates (libfaketime; apt: faketime),
# so that no test passes only on the day it was written: weekdays during and outside market hours,
# weekends, NSE holidays, an expiry day (and one a holiday pulled to Monday), a month end, a year end
# crossing midnight IST, New Year's Day before the open.
#
#   scripts/test-dates.sh                         the whole suite at every date (npm run test:dates)
#   scripts/test-dates.sh test/fetch/a.test.ts …  only those files
#   TEST_DATES='2026-12-06 12:00:00' scripts/test-dates.sh …   other dates (UTC, newline-separated)
#
# Each run starts its clock at the date (UTC) and lets it run. One line per date, then the count;
# exit 0 only when every date passed. Logs: $TEST_DATES_LOG (default /tmp/niftybox-test-dates).
set -u
cd "$(dirname "$0")/.." || exit 1

command -v faketime >/dev/null || { echo "test-dates: faketime is not installed (apt-get install faketime)" >&2; exit 69; }

DEFAULT_DATES='2026-12-06 12:00:00|Sunday (the day CI went red: the demo then simulated Mon 7 Dec)
2026-12-05 06:00:00|Saturday
2026-12-07 04:30:00|Monday 10:00 IST, market open
2026-12-07 01:00:00|Monday 06:30 IST, before the warm-up
2026-12-08 05:00:00|Tuesday 10:30 IST, weekly expiry day
2026-11-09 09:00:00|Monday 14:30 IST, expiry pulled forward by the Tuesday holiday
2026-11-24 05:00:00|Tuesday, NSE holiday (Guru Nanak Jayanti)
2026-12-25 05:00:00|Friday, NSE holiday (Christmas)
2026-11-30 10:30:00|month end, 16:00 IST after the close
2026-12-31 18:29:00|year end, 23:59 IST: midnight IST passes during the run
2027-01-01 03:30:00|New Year'"'"'s Day 09:00 IST, before the open
2026-08-11 03:35:00|Tuesday 09:05 IST, the day go-live-cli replays'

dates=()
labels=()
if [ -n "${TEST_DATES:-}" ]; then
  while IFS= read -r d; do [ -n "$d" ] && dates+=("$d") && labels+=(""); done <<<"$TEST_DATES"
else
  while IFS='|' read -r d l; do dates+=("$d"); labels+=("$l"); done <<<"$DEFAULT_DATES"
fi

npm run build --silent >/dev/null || { echo "test-dates: the build failed" >&2; exit 1; }
logdir=${TEST_DATES_LOG:-/tmp/niftybox-test-dates}
mkdir -p "$logdir"

failed=0
for i in "${!dates[@]}"; do
  d=${dates[$i]}
  log="$logdir/$(echo "$d" | tr ' :' '_-').log"
  start=$(date +%s)
  # TZ=UTC: the dates above are UTC whatever the machine's zone; the box itself works in IST.
  TZ=UTC FAKETIME_NO_CACHE=1 faketime "$d" npx vitest run "$@" >"$log" 2>&1
  rc=$?
  secs=$(( $(date +%s) - start ))
  summary=$(sed -e 's/\x1b\[[0-9;]*m//g' "$log" | grep -E '^ +Tests ' | tail -1 | sed -e 's/^ *Tests *//')
  [ $rc -eq 0 ] || failed=$((failed + 1))
  printf '%s  %-19s  %4ss  %s  %s\n' "$([ $rc -eq 0 ] && echo PASS || echo FAIL)" "$d" "$secs" "${summary:-no summary (see $log)}" "${labels[$i]}"
done
echo "$(( ${#dates[@]} - failed )) of ${#dates[@]} dates passed (logs in $logdir)"
[ $failed -eq 0 ]
