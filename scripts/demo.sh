#!/usr/bin/env bash
# The README's first command. Starts a local 3-member etcd with a 24 MiB quota, lets a go-micro-like
# registry fill it until NOSPACE (the incident), then starts etcd-hygiene on
# config/samples/local-demo.yaml and shows it recover the cluster and keep it writable while the
# registry goes on. Stops everything it started, on success, failure or Ctrl-C.
#   DEMO_SECONDS  how long etcd-hygiene keeps the cluster healthy after the recovery (default 45)
#   DEMO_ETCD     the etcd to run: 3.5 (default: the newest Debian serves, downloaded into .tools)
#                 or 3.4 (the machine's, Debian's etcd-server)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/prerequisites.sh

HYGIENE_SECONDS=${DEMO_SECONDS:-45}
QUOTA=$((24 * 1024 * 1024))
# Below Linux's ephemeral port range (32768-60999), so no outgoing connection can hold them.
CLIENT_PORTS=(12379 12381 12383)
PEER_PORTS=(12380 12382 12384)
ENDPOINTS="http://127.0.0.1:12379,http://127.0.0.1:12381,http://127.0.0.1:12383"
work=$(mktemp -d -t etcd-hygiene-demo-XXXXXX)
pids=()

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

cleanup() {
    trap - EXIT INT TERM
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT
trap 'echo; echo "interrupted"; exit 130' INT TERM

use_etcd "${DEMO_ETCD:-3.5}"
for port in "${CLIENT_PORTS[@]}" "${PEER_PORTS[@]}" 12390 12391; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        echo "port $port is in use; the demo needs 12379-12384, 12390 and 12391 on 127.0.0.1" >&2
        exit 1
    fi
done

say "Building etcd-hygiene and the registry simulator"
dotnet build Operator.sln -c Release -v quiet -nologo | grep -E "error|Warn|Elapsed" || true
# The Native AOT executable when one is named (scripts/test.sh publishes it and runs the demo on it);
# else the JIT build just made, which spares a first demo the few minutes of a Native AOT publish.
if [ -n "${ETCD_HYGIENE_BINARY:-}" ]; then
    hygiene=("$ETCD_HYGIENE_BINARY")
else
    hygiene=(dotnet src/EtcdHygiene.Operator/bin/Release/net10.0/etcd-hygiene.dll)
fi
registry=(dotnet bench/EtcdHygiene.Workload/bin/Release/net10.0/registry-workload.dll)

say "Starting a 3-member etcd cluster on 127.0.0.1 with a 24 MiB quota"
cluster="m1=http://127.0.0.1:12380,m2=http://127.0.0.1:12382,m3=http://127.0.0.1:12384"
for i in 0 1 2; do
    name="m$((i + 1))"
    etcd --name "$name" --data-dir "$work/$name" --logger zap --log-outputs stderr \
        --listen-client-urls "http://127.0.0.1:${CLIENT_PORTS[$i]}" --advertise-client-urls "http://127.0.0.1:${CLIENT_PORTS[$i]}" \
        --listen-peer-urls "http://127.0.0.1:${PEER_PORTS[$i]}" --initial-advertise-peer-urls "http://127.0.0.1:${PEER_PORTS[$i]}" \
        --initial-cluster "$cluster" --initial-cluster-state new --initial-cluster-token etcd-hygiene-demo \
        --quota-backend-bytes "$QUOTA" >"$work/$name.log" 2>&1 &
    pids+=($!)
done
export ETCDCTL_API=3
healthy=""
for _ in $(seq 1 60); do
    for i in 0 1 2; do
        if ! kill -0 "${pids[$i]}" 2>/dev/null; then
            echo "etcd m$((i + 1)) exited while starting:" >&2
            tail -5 "$work/m$((i + 1)).log" >&2
            exit 1
        fi
    done
    if etcdctl --endpoints "$ENDPOINTS" --dial-timeout 1s --command-timeout 2s endpoint health >/dev/null 2>&1; then
        healthy=1
        break
    fi
    sleep 0.5
done
if [ -z "$healthy" ]; then
    echo "etcd did not become healthy within 30 s; logs in $work" >&2
    exit 1
fi
etcdctl --endpoints "$ENDPOINTS" endpoint health

say "The incident: 100 service nodes re-register every 250 ms; most reorder their JSON, none really change"
"${registry[@]}" --endpoints "$ENDPOINTS" --services 20 --nodes 5 --interval 250ms --writers 8 \
    --identical-share 0.2 --reorder-share 0.6 --report-every 1s >"$work/registry.log" 2>&1 &
registry_pid=$!
pids+=("$registry_pid")
tail -n +1 -f "$work/registry.log" --pid "$registry_pid" | awk 'NR == 1 || NR % 5 == 0' &
tail_pid=$!
pids+=("$tail_pid")
# grep without -q: under pipefail, grep -q leaving early can kill etcdctl with SIGPIPE and fail the test.
for _ in $(seq 1 360); do  # up to 3 minutes: a busy machine fills etcd slower
    etcdctl --endpoints "$ENDPOINTS" alarm list 2>/dev/null | grep NOSPACE >/dev/null && break
    sleep 0.5
done
if ! etcdctl --endpoints "$ENDPOINTS" alarm list | grep NOSPACE >/dev/null; then
    echo "etcd never reached NOSPACE; see $work" >&2
    exit 1
fi
sleep 3
kill "$tail_pid" 2>/dev/null || true
say "etcd is full: every registration is refused (mvcc: database space exceeded)"
etcdctl --endpoints "$ENDPOINTS" endpoint status -w table
etcdctl --endpoints "$ENDPOINTS" alarm list
refused() { grep -o 'refused(NOSPACE)=[0-9]*' "$work/registry.log" | tail -1 | cut -d= -f2; }

say "Who filled it (etcd-hygiene analyze: replays the history etcd still retains, changes nothing)"
"${hygiene[@]}" analyze --endpoints "$ENDPOINTS" --prefix /micro/registry/ --top 5 || true

say "What etcd-hygiene would do (etcd-hygiene check, a dry run)"
"${hygiene[@]}" check --policy config/samples/local-demo.yaml --state-dir "$work/state" || true

say "Starting etcd-hygiene run for ${HYGIENE_SECONDS}s while the registry keeps writing"
refused_before=$(refused)
"${hygiene[@]}" run --policy config/samples/local-demo.yaml --state-dir "$work/state" \
    --metrics-bind-address 127.0.0.1:12390 --health-probe-bind-address 127.0.0.1:12391 >"$work/hygiene.log" 2>&1 &
hygiene_pid=$!
pids+=("$hygiene_pid")
tail -n +1 -f "$work/hygiene.log" --pid "$hygiene_pid" | grep --line-buffered -E "warn|Compact|Defragment|Move leader|Disarm|cycle|churn" &
pids+=($!)
for _ in $(seq 1 120); do
    grep -q "cycle succeeded" "$work/hygiene.log" && break
    sleep 0.5
done
sleep 1.5 # the registry reports once a second
refused_recovered=$(refused)
tail -n 0 -f "$work/registry.log" --pid "$registry_pid" | awk 'NR % 5 == 0' &
pids+=($!)
sleep "$HYGIENE_SECONDS"

say "What Prometheus scrapes from http://127.0.0.1:12390/metrics"
curl -s http://127.0.0.1:12390/metrics | grep -E '^etcd_hygiene_(member_db_size_bytes|member_fragmentation_ratio|compactions_total|defrags_total|alarm_disarms_total|reclaimed_bytes_total|key_group_writes_per_minute|key_group_noop_ratio|quota_exhaustion_seconds)' || true

say "Stopping the registry and etcd-hygiene"
kill "$registry_pid" "$hygiene_pid"
wait "$registry_pid" "$hygiene_pid" 2>/dev/null || true
sleep 0.5

say "Summary"
etcdctl --endpoints "$ENDPOINTS" endpoint status -w table
alarms=$(etcdctl --endpoints "$ENDPOINTS" alarm list)
final=$(grep -o 'accepted=[0-9]* refused(NOSPACE)=[0-9]*' "$work/registry.log" | tail -1)
refused_total=$(sed 's/.*refused(NOSPACE)=//' <<<"$final")
cat <<SUMMARY
registry writes, whole demo:        $final
refused before etcd-hygiene ran:    $refused_before
refused during its recovery:        $((refused_recovered - refused_before))
refused after the recovery:         $((refused_total - refused_recovered))   (${HYGIENE_SECONDS}s of registrations)
alarms now:                         ${alarms:-none}
compactions by etcd-hygiene:        $(grep -c 'Compact to revision [0-9]* ([A-Za-z]*): ' "$work/hygiene.log" || true)
defragmentations:                   $(grep -c 'Defragment m[0-9]*: ' "$work/hygiene.log" || true)
NOSPACE alarms disarmed:            $(grep -o 'Disarm NOSPACE of [m0-9, ]*: ' "$work/hygiene.log" | grep -o 'm[0-9]*' | wc -l)
preventions before NOSPACE:         $(grep -c 'Preempting: ' "$work/hygiene.log" || true)
cycles:                             $(grep -c 'cycle succeeded' "$work/hygiene.log" || true) succeeded, $(grep -c 'cycle failed' "$work/hygiene.log" || true) failed
key groups found churning:          $(grep -o 'churn [a-zA-Z ]*: [^ ]*' "$work/hygiene.log" | awk '{print $NF}' | sort -u | wc -l)
SUMMARY
if [ -n "$alarms" ] || [ "$((refused_total - refused_recovered))" -ne 0 ]; then
    echo "etcd-hygiene did not keep the cluster writable; its log:" >&2
    tail -30 "$work/hygiene.log" >&2
    exit 1
fi
echo "The cluster filled up without etcd-hygiene and stayed writable with it."
