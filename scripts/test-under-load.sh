#!/usr/bin/env bash
# The tests that run the demo fast, RUNS times (10) beside BUSY busy loops (2: both cores of this machine
# taken), to show that a busy machine slows them without changing what they see: the simulated market
# advances only as fast as the box consumes it. One line per run, then the count; exit 0 only when every
# run passed. Logs: $UNDER_LOAD_LOG (default /tmp/niftybox-under-load).
#
#   scripts/test-under-load.sh                     the demo-driven files below
#   scripts/test-under-load.sh test/app/a.test.ts  only those files
#   RUNS=3 BUSY=4 scripts/test-under-load.sh
set -u
cd "$(dirname "$0")/.." || exit 1
RUNS=${RUNS:-10}
BUSY=${BUSY:-2}
files=("$@")
if [ ${#files[@]} -eq 0 ]; then
  # every test file that runs the demo (`run --demo` or the demo's session driver)
  mapfile -t files < <(grep -rlE -- "--demo|runDemo|startDemo" test | sort)
fi
logdir=${UNDER_LOAD_LOG:-/tmp/niftybox-under-load}
mkdir -p "$logdir"
npm run build --silent >/dev/null || { echo "test-under-load: the build failed" >&2; exit 1; }

busy=()
for _ in $(seq "$BUSY"); do
  node -e 'for (;;) {}' &
  busy+=($!)
done
trap 'kill "${busy[@]}" 2>/dev/null' EXIT
echo "test-under-load: ${#files[@]} files, $RUNS runs, beside $BUSY busy loops (pids ${busy[*]}); $(nproc) CPUs"

failed=0
total=0
for i in $(seq "$RUNS"); do
  log="$logdir/run-$i.log"
  start=$(date +%s)
  npx vitest run "${files[@]}" >"$log" 2>&1
  rc=$?
  secs=$(( $(date +%s) - start ))
  total=$((total + secs))
  summary=$(sed -e 's/\x1b\[[0-9;]*m//g' "$log" | grep -E '^ +Tests ' | tail -1 | sed -e 's/^ *Tests *//')
  [ $rc -eq 0 ] || failed=$((failed + 1))
  printf '%s  run %2d  %4ss  load %s  %s\n' "$([ $rc -eq 0 ] && echo PASS || echo FAIL)" "$i" "$secs" \
    "$(cut -d' ' -f1 /proc/loadavg)" "${summary:-no summary (see $log)}"
done
echo "$(( RUNS - failed )) of $RUNS runs passed, ${total} s in all (logs in $logdir)"
[ $failed -eq 0 ]
