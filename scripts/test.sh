#!/usr/bin/env bash
# The README's test command: installs what the tests need, builds, runs every test, and checks
# that the tests left no etcd process or data dir behind. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/prerequisites.sh

ensure_etcd
ensure_etcd_35
ensure_prometheus
ensure_helm
ensure_kubectl
ensure_systemd_analyze
ensure_aot_toolchain

results=artifacts/test-results
rm -rf "$results"
mkdir -p "$results"
dotnet restore Operator.sln
dotnet build Operator.sln --no-restore -c Release
status=0
passed=0 failed=0 skipped=0
# The executable users get, as the Dockerfile and the systemd install build it: published Native AOT
# (a trimming or AOT warning fails it), then started. The process-level tests (CLI, run, operator,
# the demo) run it: CliProcess and demo.sh take it from ETCD_HYGIENE_BINARY.
echo "publishing the Native AOT executable (artifacts/publish) and starting it"
if publish_aot artifacts/publish >"$results/publish.log" 2>&1 && "$ETCD_HYGIENE_BINARY" --help >>"$results/publish.log" 2>&1; then
    passed=$((passed + 1))
else
    echo "publish or start failed:"; tail -20 "$results/publish.log"
    exit 1
fi
etcd34=$(etcd --version | sed -n 's/^etcd Version: //p')
etcd35=$("$ETCD35_BIN/etcd" --version | sed -n 's/^etcd Version: //p')
# Runs a command with one etcd: $1 its bin folder ("" for the machine's), then the command.
with_etcd() {
    local bin=$1; shift
    if [ -n "$bin" ]; then
        ETCD_BINARY="$bin/etcd" ETCDCTL_BINARY="$bin/etcdctl" "$@"
    else
        "$@"
    fi
}
# --blame-hang-timeout turns a hung test into a failure with a dump instead of a stuck CI run.
echo "== etcd $etcd34 (the machine's): every test but the soak"
with_etcd "" dotnet test Operator.sln --no-build -c Release --results-directory "$results/etcd-$etcd34" --filter "Category!=Soak&Category!=Explorer" \
    --logger "trx" --logger "console;verbosity=normal" --blame-hang-timeout 10m || status=$?
# The second version runs what talks to etcd (the core and the Kubernetes runtime do not): the two
# test projects of tests/etcd-bound.slnf, side by side as in the first run, but the classes marked
# Etcd=AnyVersion: the Kubernetes side (controller, leadership, Leases, chart, CRD, kubectl), whose
# etcd calls are the adapter's that Etcd.Tests and the conformance suite run on both versions, and
# OneClusterManyActorsTests, whose rule (one actor per cluster) the explorer plays on both
# simulated versions and ClusterLockTests runs on both.
echo "== etcd $etcd35: every test that runs etcd, but the soak and the version-neutral classes"
with_etcd "$ETCD35_BIN" dotnet test tests/etcd-bound.slnf --no-build -c Release --results-directory "$results/etcd-$etcd35" --filter "Category!=Soak&Category!=Explorer&Etcd!=AnyVersion" \
    --logger "trx" --logger "console;verbosity=normal" --blame-hang-timeout 10m || status=$?
# The schedule explorer (10,000 seeded worlds over the simulated cluster, about a minute on two
# cores) runs alone too: it takes both cores, and its time is part of what it promises.
# EXPLORER_SCHEDULES runs more; EXPLORER_SEED replays one (docs/architecture.md).
# Its worlds allocate a great deal: a 64 MiB first GC generation cuts its time by about a fifth here
# (10,000 schedules in 75 s against 97 s, the same hour).
echo "== the schedule explorer"
DOTNET_GCgen0size=0x4000000 dotnet test tests/EtcdHygiene.Operator.Tests/EtcdHygiene.Operator.Tests.csproj --no-build -c Release \
    --results-directory "$results/explorer" --filter "Category=Explorer" --logger "trx;LogFileName=explorer.trx" --logger "console;verbosity=normal" \
    --blame-hang-timeout 10m || status=$?
# The data safety soak (about two minutes of random faults) runs alone: its load would disturb
# the timing of tests running beside it. It takes one etcd version a run, by the day of the year
# (SOAK_ETCD=3.4 or 3.5 chooses); SOAK_SEED replays a run, SOAK_SECONDS changes its length.
soak=${SOAK_ETCD:-$([ $((10#$(date +%j) % 2)) -eq 0 ] && echo 3.5 || echo 3.4)}
if [ "$soak" = 3.5 ]; then soak_version=$etcd35 soak_bin=$ETCD35_BIN; else soak_version=$etcd34 soak_bin=""; fi
echo "== etcd $soak_version: the data safety soak"
with_etcd "$soak_bin" dotnet test tests/EtcdHygiene.Operator.Tests/EtcdHygiene.Operator.Tests.csproj --no-build -c Release \
    --results-directory "$results/etcd-$soak_version" --filter "Category=Soak" --logger "trx;LogFileName=soak.trx" --logger "console;verbosity=normal" \
    --blame-hang-timeout 10m || status=$?

while IFS= read -r trx; do
    [ -e "$trx" ] || continue
    counters=$(grep -o '<Counters [^>]*>' "$trx")
    field() { sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p" <<<"$counters"; }
    passed=$((passed + $(field passed)))
    failed=$((failed + $(field failed)))
    skipped=$((skipped + $(field notExecuted)))
done < <(find "$results" -name '*.trx')

# The README's first command must keep working: run the demo briefly.
if [ "$status" -eq 0 ]; then
    echo "running the demo (scripts/demo.sh) as a smoke test"
    if DEMO_SECONDS=10 bash scripts/demo.sh > "$results/demo.log" 2>&1; then
        passed=$((passed + 1))
        tail -12 "$results/demo.log"
    else
        failed=$((failed + 1))
        echo "the demo failed:"; tail -40 "$results/demo.log"
        status=1
    fi
fi

leftovers=$(pgrep -af 'etcd-hygiene-test-' | grep -v pgrep || true)
if [ -n "$leftovers" ]; then
    echo "tests left etcd processes running:"; echo "$leftovers"
    pkill -9 -f 'etcd-hygiene-test-' || true
    status=1
fi
if compgen -G "${TMPDIR:-/tmp}/etcd-hygiene-test-*" >/dev/null; then
    echo "tests left data dirs behind:"; ls -d "${TMPDIR:-/tmp}"/etcd-hygiene-test-*
    status=1
fi
if [ "$passed" -eq 0 ]; then
    echo "no test ran"
    status=1
fi
# Skipped tests are defects here: every test needs to run.
if [ "$skipped" -ne 0 ]; then
    echo "$skipped tests were skipped"
    status=1
fi
if [ "$failed" -ne 0 ]; then
    find "$results" -name '*.trx' -exec python3 scripts/lib/failed-tests.py {} + || true
fi
echo "etcd versions: $etcd34 and $etcd35 (soak: $soak_version)"
echo "$passed passed, $failed failed"
exit "$status"
