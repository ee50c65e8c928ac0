#!/bin/bash
# Runs dist_fault_test under mpirun with one injected failure and checks that the whole job
# ends by itself (well inside LIMIT seconds, default 10), exits non-zero, and prints a message
# matching PATTERN. The limit only guards against a hang; it is not a performance bound.
# Usage: expect_job_failure.sh MPIRUN NP FAULT_BINARY MODE PATTERN
set -u
mpirun=$1 np=$2 binary=$3 mode=$4 pattern=$5
limit=${DSI_FAULT_LIMIT_S:-10}

start=$(date +%s.%N)
# SIGTERM first: mpirun forwards it to its ranks; SIGKILL 5 s later if it still runs.
output=$(timeout -k 5 "$limit" "$mpirun" --allow-run-as-root --oversubscribe -np "$np" \
         "$binary" "$mode" 2>&1)
rc=$?
end=$(date +%s.%N)
elapsed=$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.2f", e - s }')
echo "$output"
# Rank 1 prints the time at which it fails; report how long the job outlived it.
failed_at=$(sed -n 's/.*rank 1 fails now (mode [a-z0-9]*, t=\([0-9.]*\)).*/\1/p' <<<"$output" |
            head -1)
after=""
if [ -n "$failed_at" ]; then
  after=$(awk -v s="$failed_at" -v e="$end" 'BEGIN { printf ", %.2fs after rank 1 failed", e - s }')
fi
echo "---- mode $mode, $np ranks: exit code $rc after ${elapsed}s${after}"

if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
  echo "FAIL: the job was still running after ${limit}s: a failed rank left its peers hanging"
  exit 1
fi
if [ "$rc" -eq 0 ]; then
  echo "FAIL: the job exited 0 although rank 1 failed"
  exit 1
fi
if ! grep -Eq -- "$pattern" <<<"$output"; then
  echo "FAIL: no line matches /$pattern/"
  exit 1
fi
echo "PASS"
