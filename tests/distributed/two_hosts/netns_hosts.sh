#!/bin/bash
# Two "network hosts" on one machine for multi-host MPI tests: two network namespaces joined by a
# veth pair, and an mpirun launch across them (one Open MPI daemon per namespace, TCP only, over
# the veth). With --hostfile the same launch goes to real hosts over ssh instead.
#
# Usage:
#   netns_hosts.sh up                 create the namespaces + veth (removes leftovers first)
#   netns_hosts.sh down               remove them (ends processes still inside them); idempotent
#   netns_hosts.sh info               one line per host: index netns address veth hostname netns-id
#   netns_hosts.sh run [OPTIONS] -- CMD [ARGS...]
#       Runs CMD under mpirun, ranks split evenly over the two hosts (rank 0 on host 1). If the
#       namespaces are not up, `run` creates them and removes them again when it ends (also on
#       failure or signal); if they are up (`up` before), it leaves them. Exit code: mpirun's.
#     --np N             ranks in all (default 2: one per host); must be even without --hostfile
#     --timeout S        end the job after S seconds (SIGTERM, SIGKILL 5 s later; exit 124)
#     --record           each rank prints one line to stderr before it execs CMD:
#                        "netns_hosts: rank=R pid=P hostname=H netns=net:[ID] addrs=A,B"
#     --stats FILE       write the veth byte counts of the run: veth_tx_bytes (host 1 -> 2) and
#                        veth_rx_bytes (host 2 -> 1); also printed to stderr
#     --verbose-btl      Open MPI prints which BTL each rank uses for each peer (stderr)
#     --mpi-arg ARG      one more argument for mpirun (repeatable), e.g. to pass a variable to
#                        real hosts: --mpi-arg -x --mpi-arg OMP_NUM_THREADS
#     --hostfile FILE    real hosts: plain mpirun --hostfile FILE over ssh, no namespaces
#     --if NET           network for MPI + ORTE traffic: CIDR (10.1.0.0/16) or interface name
#                        (default: the veth subnet; with --hostfile: Open MPI's own choice)
#
# Exit code 77 (CTest "skipped") when the machine does not allow namespaces or lacks a tool.
# Environment: DSI_NETNS_PREFIX (default dsi: namespaces dsi_h1/dsi_h2, veth dsi_v1/dsi_v2,
# hostnames dsi-h1/dsi-h2), DSI_NETNS_SUBNET (default 10.77.0: addresses .1 and .2, /24),
# MPIRUN (default mpirun).
set -u -o pipefail

readonly kSkip=77
SELF=$(readlink -f "${BASH_SOURCE[0]}")
readonly SELF
readonly PREFIX=${DSI_NETNS_PREFIX:-dsi}
readonly SUBNET=${DSI_NETNS_SUBNET:-10.77.0}
readonly NS=("${PREFIX}_h1" "${PREFIX}_h2")
readonly VETH=("${PREFIX}_v1" "${PREFIX}_v2")
readonly ADDR=("${SUBNET}.1" "${SUBNET}.2")
readonly HOSTNAMES=("${PREFIX}-h1" "${PREFIX}-h2")
readonly MPIRUN=${MPIRUN:-mpirun}

log() { echo "netns_hosts: $*" >&2; }
die() { log "$*"; exit 1; }
skip() { log "SKIP: $*"; exit "$kSkip"; }

usage() {
  sed -n '/^# Usage:/,/^set -u/p' "$SELF" | sed '$d; s/^# \{0,1\}//' >&2
  exit 2
}

# Names the capabilities this process lacks among those namespaces + veth need.
missing_caps() {
  local eff missing=""
  eff=$(awk '/^CapEff:/ { print $2 }' /proc/self/status 2>/dev/null)
  [ -n "$eff" ] || { echo "unknown (no CapEff in /proc/self/status)"; return; }
  (( (16#$eff >> 21) & 1 )) || missing+=" CAP_SYS_ADMIN"
  (( (16#$eff >> 12) & 1 )) || missing+=" CAP_NET_ADMIN"
  echo "${missing:- none (CapEff=$eff)}"
}

ns_exists() { [ -e "/run/netns/$1" ] || [ -e "/var/run/netns/$1" ]; }

# Sets HOST_PREFIX to the command words that run a command inside namespace $1
# with its own UTS namespace and hostname $2, so that each "host" has its own name (and Open MPI
# its own session directory under the shared /tmp). The words exec down to the command, so its
# process id is the one the caller started.
host_prefix() {
  # shellcheck disable=SC2016  # $0 and $@ belong to the inner sh
  HOST_PREFIX=(ip netns exec "$1" unshare --uts sh -c 'hostname "$0" && exec "$@"' "$2")
}

cmd_down() {
  local ns pids
  for ns in "${NS[@]}"; do
    ns_exists "$ns" || continue
    # Processes a killed run left inside (orted, ranks): TERM, then KILL after 2 s.
    read -r -d '' -a pids < <(ip netns pids "$ns" 2>/dev/null)
    if [ ${#pids[@]} -gt 0 ]; then
      kill -TERM "${pids[@]}" 2>/dev/null
      for _ in 1 2 3 4 5 6 7 8 9 10; do
        read -r -d '' -a pids < <(ip netns pids "$ns" 2>/dev/null)
        [ ${#pids[@]} = 0 ] && break
        sleep 0.2
      done
      [ ${#pids[@]} -gt 0 ] && kill -KILL "${pids[@]}" 2>/dev/null
    fi
    ip netns del "$ns" 2>/dev/null || log "could not delete namespace $ns"
  done
  # Session directories of killed jobs; only these hosts use these names (ompi.HOSTNAME.UID).
  rm -rf "${TMPDIR:-/tmp}/ompi.${HOSTNAMES[0]}."* "${TMPDIR:-/tmp}/ompi.${HOSTNAMES[1]}."*
  return 0
}

cmd_up() {
  command -v ip >/dev/null ||
    skip "the 'ip' tool is missing (Debian package iproute2); it is needed for ip netns"
  command -v unshare >/dev/null || skip "the 'unshare' tool is missing (Debian package util-linux)"
  cmd_down
  local err i
  for i in 0 1; do
    if ! err=$(ip netns add "${NS[$i]}" 2>&1); then
      cmd_down
      skip "'ip netns add ${NS[$i]}' failed: ${err//$'\n'/ }. Network namespaces need" \
           "CAP_SYS_ADMIN and a veth pair CAP_NET_ADMIN; missing here:$(missing_caps)." \
           "Use --hostfile with real hosts instead."
    fi
  done
  if ! err=$(ip link add "${VETH[0]}" netns "${NS[0]}" type veth \
             peer name "${VETH[1]}" netns "${NS[1]}" 2>&1); then
    cmd_down
    skip "'ip link add ... type veth' failed: ${err//$'\n'/ } (missing here:$(missing_caps);" \
         "or the kernel has no veth driver)"
  fi
  for i in 0 1; do
    if ! err=$({ ip -n "${NS[$i]}" addr add "${ADDR[$i]}/24" dev "${VETH[$i]}" &&
                 ip -n "${NS[$i]}" link set lo up &&
                 ip -n "${NS[$i]}" link set "${VETH[$i]}" up; } 2>&1); then
      cmd_down
      die "configuring ${VETH[$i]} in ${NS[$i]} failed: $err"
    fi
  done
  # Host 2 must answer host 1 before anything is launched: a TCP connect to a closed port is
  # refused at once when the path works and times out when it does not.
  if ! err=$(ip netns exec "${NS[0]}" timeout 5 bash -c "exec 3<>/dev/tcp/${ADDR[1]}/9" 2>&1) &&
     [[ $err != *refused* ]]; then
    cmd_down
    die "${ADDR[1]} is not reachable from ${NS[0]}: ${err:-timeout}"
  fi
  log "up: ${NS[0]} (${ADDR[0]}, ${HOSTNAMES[0]}) <-> ${NS[1]} (${ADDR[1]}, ${HOSTNAMES[1]})" \
      "over ${VETH[0]}/${VETH[1]}"
}

cmd_info() {
  local i
  for i in 0 1; do
    ns_exists "${NS[$i]}" || die "namespace ${NS[$i]} is not up"
    echo "$((i + 1)) ${NS[$i]} ${ADDR[$i]} ${VETH[$i]} ${HOSTNAMES[$i]}" \
         "$(ip netns exec "${NS[$i]}" readlink /proc/self/ns/net)"
  done
}

# veth byte counters seen from host 1: "TX RX".
veth_bytes() {
  ip netns exec "${NS[0]}" sh -c "cat /sys/class/net/${VETH[0]}/statistics/tx_bytes \
    /sys/class/net/${VETH[0]}/statistics/rx_bytes" | tr '\n' ' '
}

# Launcher that Open MPI calls instead of ssh: `_agent HOST WORDS...` runs the words (a shell
# command line, as ssh would pass it) inside HOST's namespace.
cmd_agent() {
  local host=$1 i
  shift
  for i in 0 1; do
    if [ "$host" = "${ADDR[$i]}" ] || [ "$host" = "${HOSTNAMES[$i]}" ]; then
      host_prefix "${NS[$i]}" "${HOSTNAMES[$i]}"
      exec "${HOST_PREFIX[@]}" sh -c "$*"
    fi
  done
  die "agent: unknown host '$host' (known: ${ADDR[*]} ${HOSTNAMES[*]})"
}

# Rank wrapper: `_rank CMD...` says where this rank runs (one line, one write, on stderr, which
# mpirun forwards; no shared file system needed), then becomes CMD (same process id).
cmd_rank() {
  local addrs
  addrs=$(ip -4 -o addr show 2>/dev/null | awk '{ print $4 }' | paste -sd, -)
  echo "netns_hosts: rank=${OMPI_COMM_WORLD_RANK:-unknown} pid=$$ hostname=$(hostname)" \
       "netns=$(readlink /proc/self/ns/net) addrs=${addrs:-unknown}" >&2
  exec "$@"
}

cmd_run() {
  local np=2 timeout_s="" record=0 stats="" verbose=0 hostfile="" net="" extra=()
  while [ $# -gt 0 ]; do
    case $1 in
      --np) np=$2; shift 2 ;;
      --timeout) timeout_s=$2; shift 2 ;;
      --record) record=1; shift ;;
      --stats) stats=$2; shift 2 ;;
      --verbose-btl) verbose=1; shift ;;
      --mpi-arg) extra+=("$2"); shift 2 ;;
      --hostfile) hostfile=$(readlink -f "$2"); shift 2 ;;
      --if) net=$2; shift 2 ;;
      --) shift; break ;;
      *) log "run: unknown option '$1'"; usage ;;
    esac
  done
  [ $# -gt 0 ] || { log "run: no command after --"; usage; }
  [[ $np =~ ^[1-9][0-9]*$ ]] || die "run: --np must be a positive integer, not '$np'"
  command -v "$MPIRUN" >/dev/null || skip "$MPIRUN not found (Open MPI is not installed)"

  # TCP only: ob1 with the tcp BTL (self for a rank to itself); no shared memory, no UCX/OFI.
  # shellcheck disable=SC2054  # "tcp,self" is one argument
  local mpi=("$MPIRUN" -np "$np" --mca pml ob1 --mca btl tcp,self)
  [ "$(id -u)" = 0 ] && mpi+=(--allow-run-as-root)
  [ $verbose = 1 ] && mpi+=(--mca btl_base_verbose 30)
  local cmd=("$@")
  [ $record = 1 ] && cmd=("$SELF" _rank "$@")

  if [ -n "$hostfile" ]; then
    [ -r "$hostfile" ] || die "run: cannot read hostfile $hostfile"
    [ -n "$net" ] && mpi+=(--mca btl_tcp_if_include "$net" --mca oob_tcp_if_include "$net")
    launch=("${mpi[@]}" --hostfile "$hostfile" "${extra[@]}" "${cmd[@]}")
    owned=0
  else
    (( np % 2 == 0 )) || die "run: --np must be even (ranks are split evenly over 2 hosts)"
    owned=0
    set_traps
    if ! ns_exists "${NS[0]}" || ! ns_exists "${NS[1]}"; then
      owned=1
      cmd_up
    fi
    net=${net:-${SUBNET}.0/24}
    # The two hosts share this machine's cores, which mpirun cannot see: binding would pin both
    # hosts' ranks to the same cores, and ranks that busy-poll starve each other (np 4 on 2 cores:
    # 8-13 s instead of 1 s for dsi_dist_mpi_test), so no binding and yield when idle.
    mpi+=(--host "${ADDR[0]}:$((np / 2)),${ADDR[1]}:$((np / 2))" --bind-to none
          --mca mpi_yield_when_idle 1
          --mca plm_rsh_agent "$SELF _agent"
          --mca btl_tcp_if_include "$net" --mca oob_tcp_if_include "$net")
    # mpirun itself runs on host 1, so Open MPI starts its daemon only on host 2 (via _agent).
    host_prefix "${NS[0]}" "${HOSTNAMES[0]}"
    launch=("${HOST_PREFIX[@]}" "${mpi[@]}" "${extra[@]}" "${cmd[@]}")
    export DSI_NETNS_PREFIX=$PREFIX DSI_NETNS_SUBNET=$SUBNET
    before=$(veth_bytes)
  fi
  [ -n "$timeout_s" ] && launch=(timeout -k 5 "$timeout_s" "${launch[@]}")

  set_traps
  # In the background (stdin kept) so that a signal reaches the trap at once.
  "${launch[@]}" <&0 &
  job=$!
  wait "$job"
  local rc=$?
  job=""
  if [ -z "$hostfile" ]; then
    local after tx rx
    read -r -a after <<<"$(veth_bytes)"
    read -r -a before <<<"$before"
    tx=$((after[0] - before[0]))
    rx=$((after[1] - before[1]))
    log "veth ${VETH[0]} <-> ${VETH[1]} carried $tx bytes ${HOSTNAMES[0]} -> ${HOSTNAMES[1]}," \
        "$rx bytes back; mpirun exit code $rc"
    [ -n "$stats" ] && printf 'veth_tx_bytes=%s\nveth_rx_bytes=%s\n' "$tx" "$rx" >"$stats"
  fi
  exit "$rc"
}

# Ends the job and (when `run` made them) the namespaces on exit or signal.
set_traps() {
  job=${job:-}
  trap 'on_signal 129' HUP
  trap 'on_signal 130' INT
  trap 'on_signal 143' TERM
  trap on_exit EXIT
}

on_signal() {
  log "interrupted; ending the job"
  [ -n "${job:-}" ] && kill -TERM "$job" 2>/dev/null && wait "$job"
  exit "$1"
}

on_exit() {
  [ "${owned:-0}" = 1 ] && cmd_down
}

[ $# -gt 0 ] || usage
sub=$1
shift
case $sub in
  up) cmd_up ;;
  down) cmd_down ;;
  info) cmd_info ;;
  run) cmd_run "$@" ;;
  _agent) cmd_agent "$@" ;;
  _rank) cmd_rank "$@" ;;
  -h|--help|help) usage ;;
  *) log "unknown command '$sub'"; usage ;;
esac
