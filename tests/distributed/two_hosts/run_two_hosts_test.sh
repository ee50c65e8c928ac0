#!/bin/bash
# CTest check for multi-host runs: runs CMD under mpirun on two hosts (network namespaces made by
# netns_hosts.sh, or real hosts with --hostfile) and checks that it passes, that the ranks really
# ran on different hosts, and that they talked over TCP (across the veth for namespaces).
# Optionally checks that its output equals a single-process reference run.
#
# Usage: run_two_hosts_test.sh [OPTIONS] -- CMD [ARGS...]
#   --expect REGEX        stdout of the two-host run must have a line matching REGEX (grep -E)
#   --reference CMDLINE   reference run on this host alone (sh -c CMDLINE, e.g. the same program
#                         in one process); its stdout must equal the two-host run's stdout
#   --filter REGEX        with --reference: compare only the lines matching REGEX (grep -E)
#   --min-veth-bytes N    each direction of the veth must carry at least N bytes during the run
#                         (default 1048576: dsi_dist_mpi_test sends 1 MiB each way in its
#                         Send/Recv case; Open MPI's own start-up traffic is about 3 KB)
#   --np N                ranks in all, split evenly over the two hosts (default 2)
#   --timeout S           limit for each run (default 120)
#   --hostfile FILE       real hosts instead of namespaces (or env DSI_MPI_HOSTFILE); the
#                         repository and CMD must be at the same path on every host
#   --if NET              with --hostfile: network for MPI traffic, CIDR or interface (or env
#                         DSI_MPI_IF)
# Exit code: 0 pass, 1 fail, 77 skipped (namespaces not permitted here, or no Open MPI).
set -u -o pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly HERE
readonly HOSTS="$HERE/netns_hosts.sh"

expect="" reference="" filter="" min_bytes=1048576 np=2 timeout_s=120
hostfile=${DSI_MPI_HOSTFILE:-} net=${DSI_MPI_IF:-}
while [ $# -gt 0 ]; do
  case $1 in
    --expect) expect=$2; shift 2 ;;
    --reference) reference=$2; shift 2 ;;
    --filter) filter=$2; shift 2 ;;
    --min-veth-bytes) min_bytes=$2; shift 2 ;;
    --np) np=$2; shift 2 ;;
    --timeout) timeout_s=$2; shift 2 ;;
    --hostfile) hostfile=$2; shift 2 ;;
    --if) net=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "run_two_hosts_test: unknown option '$1'" >&2; exit 2 ;;
  esac
done
[ $# -gt 0 ] || { echo "run_two_hosts_test: no command after --" >&2; exit 2; }

failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
ok() { echo "ok: $*"; }
# check OK_MESSAGE FAIL_MESSAGE CONDITION...: runs the condition and reports either message.
check() {
  local good=$1 bad=$2
  shift 2
  if "$@"; then ok "$good"; else fail "$bad"; fi
}

work=$(mktemp -d)
owned=0 job=""
# shellcheck disable=SC2317  # called by the trap
cleanup() {
  [ -n "$job" ] && kill -TERM "$job" 2>/dev/null && wait "$job"
  [ "$owned" = 1 ] && "$HOSTS" down
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

run_opts=(--np "$np" --timeout "$timeout_s" --record --verbose-btl)
if [ -n "$hostfile" ]; then
  run_opts+=(--hostfile "$hostfile")
  [ -n "$net" ] && run_opts+=(--if "$net")
  echo "== $np ranks on the hosts of $hostfile"
else
  # Up here (not inside `run`) so the namespaces' ids can be read and compared afterwards.
  "$HOSTS" up
  rc=$?
  [ $rc = 77 ] && exit 77
  [ $rc = 0 ] || { echo "FAIL: netns_hosts.sh up exited $rc"; exit 1; }
  owned=1
  "$HOSTS" info >"$work/info" || { echo "FAIL: netns_hosts.sh info"; exit 1; }
  run_opts+=(--stats "$work/stats")
  echo "== $np ranks on two network namespaces:"
  cat "$work/info"
fi

echo "== two-host run: $*"
# In the background so that a signal ends it (and the namespaces) at once.
"$HOSTS" run "${run_opts[@]}" -- "$@" </dev/null >"$work/out" 2>"$work/err" &
job=$!
wait "$job"
rc=$?
job=""
echo "-- stdout:"
cat "$work/out"
echo "-- stderr (Open MPI's BTL selection lines left out):"
grep -v -e '] mca: ' -e '] btl: \?tcp: ' -e '] select: ' "$work/err"
echo "--"
[ $rc = 77 ] && exit 77
check "the job exited 0" "the job exited $rc" [ $rc = 0 ]

# Where each rank ran: "rank=R pid=P hostname=H netns=net:[ID] addrs=..."
num='\([0-9]*\)' word='\([^ ]*\)'
where="s/^netns_hosts: rank=$num pid=$num hostname=$word netns=$word .*/\\1 \\2 \\3 \\4/p"
declare -A pid_of host_of ns_of
while read -r r p h n; do
  pid_of[$r]=$p host_of[$r]=$h ns_of[$r]=$n
done < <(sed -n "$where" "$work/err")
check "all $np ranks reported where they run" "${#pid_of[@]} of $np ranks reported where they run" \
      [ ${#pid_of[@]} = "$np" ]

per_host=$((np / 2))
if [ -z "$hostfile" ]; then
  my_ns=$(readlink /proc/self/ns/net)
  read -r -a host1 < <(sed -n 1p "$work/info")   # index netns address veth hostname netns-id
  read -r -a host2 < <(sed -n 2p "$work/info")
  if [ "${host1[5]}" = "${host2[5]}" ] || [ "${host1[5]}" = "$my_ns" ]; then
    fail "the two hosts' namespaces are not distinct (${host1[5]} ${host2[5]}, test $my_ns)"
  fi
  for ((r = 0; r < np; ++r)); do
    if ((r < per_host)); then want=("${host1[@]}"); else want=("${host2[@]}"); fi
    if [ "${ns_of[$r]:-}" = "${want[5]}" ] && [ "${host_of[$r]:-}" = "${want[4]}" ]; then
      ok "rank $r ran in ${want[1]} (${ns_of[$r]}, hostname ${host_of[$r]})"
    else
      fail "rank $r ran in ${ns_of[$r]:-?} (hostname ${host_of[$r]:-?}), not in ${want[1]}" \
           "(${want[5]}, hostname ${want[4]})"
    fi
  done
  tx=$(sed -n 's/^veth_tx_bytes=//p' "$work/stats" 2>/dev/null)
  rx=$(sed -n 's/^veth_rx_bytes=//p' "$work/stats" 2>/dev/null)
  if [ -n "$tx" ] && [ -n "$rx" ] && ((tx >= min_bytes && rx >= min_bytes)); then
    ok "the veth carried $tx bytes ${host1[4]} -> ${host2[4]} and $rx back (>= $min_bytes each)"
  else
    fail "the veth carried ${tx:-?} / ${rx:-?} bytes, fewer than $min_bytes each way"
  fi
else
  hosts=$(printf '%s\n' "${host_of[@]}" | sort -u | wc -l)
  check "the ranks ran on $hosts hosts: ${host_of[*]}" \
        "all ranks ran on one host (${host_of[*]:-?}); give a hostfile with slots=$per_host each" \
        [ "$hosts" -ge 2 ]
fi

# Each rank must send to a rank on the other host with the tcp BTL. Open MPI prints
# "[HOST:PID] mca: bml: Using tcp btl for send to [[JOB,1],PEER] on node N" (PID zero-padded to
# 5 digits).
for ((r = 0; r < np; ++r)); do
  [ -n "${pid_of[$r]:-}" ] || continue
  peers=$(sed -n "s/^\[[^]:]*:0*${pid_of[$r]}\] mca: bml: Using tcp btl for send to \
\[\[[0-9]*,[0-9]*\],$num\].*/\1/p" "$work/err")
  remote=""
  for p in $peers; do
    [ "${host_of[$p]:-}" != "${host_of[$r]}" ] && remote+=" $p"
  done
  check "rank $r sends over TCP to rank(s)$remote on the other host" \
        "rank $r never chose the tcp BTL for a rank on the other host (tcp to: ${peers:-none})" \
        [ -n "$remote" ]
done

if [ -n "$expect" ]; then
  check "stdout matches /$expect/" "no stdout line matches /$expect/" \
        grep -Eq -- "$expect" "$work/out"
fi

if [ -n "$reference" ]; then
  echo "== single-process reference: $reference"
  timeout -k 5 "$timeout_s" sh -c "$reference" </dev/null >"$work/ref" 2>"$work/ref_err"
  rc=$?
  [ $rc = 0 ] || { cat "$work/ref_err"; fail "the reference run exited $rc"; }
  pick() { if [ -n "$filter" ]; then grep -E -- "$filter" "$1"; else cat "$1"; fi; }
  pick "$work/ref" >"$work/ref.cmp"
  pick "$work/out" >"$work/out.cmp"
  if [ ! -s "$work/ref.cmp" ]; then
    fail "the reference run printed nothing to compare${filter:+ (filter /$filter/)}"
  elif diff -u "$work/ref.cmp" "$work/out.cmp" >"$work/diff"; then
    ok "two-host output equals the single-process output ($(wc -l <"$work/ref.cmp") lines)"
  else
    cat "$work/diff"
    fail "two-host output differs from the single-process output"
  fi
fi

if [ $failures = 0 ]; then echo "PASS"; exit 0; fi
echo "FAILED: $failures check(s)"
exit 1
