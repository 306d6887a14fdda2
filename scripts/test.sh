#!/usr/bin/env bash
# The README's test command: installs what the tests need, builds, runs every test, and checks
# that the tests left no etcd process or data dir behind. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/prerequisites.sh

ensure_etcd
ensure_prometheus
ensure_helm
ensure_kubectl
ensure_systemd_analyze

results=artifacts/test-results
rm -rf "$results"
dotnet restore Operator.sln
dotnet build Operator.sln --no-restore -c Release
status=0
# --blame-hang-timeout turns a hung test into a failure with a dump instead of a stuck CI run.
dotnet test Operator.sln --no-build -c Release --results-directory "$results" --filter "Category!=Soak" \
    --logger "trx" --logger "console;verbosity=normal" --blame-hang-timeout 10m || status=$?
# The data safety soak (about two minutes of random faults) runs alone: its load would disturb
# the timing of tests running beside it. SOAK_SEED replays a run, SOAK_SECONDS changes its length.
dotnet test tests/EtcdHygiene.Operator.Tests/EtcdHygiene.Operator.Tests.csproj --no-build -c Release --results-directory "$results" \
    --filter "Category=Soak" --logger "trx;LogFileName=soak.trx" --logger "console;verbosity=normal" --blame-hang-timeout 10m || status=$?

passed=0 failed=0 skipped=0
for trx in "$results"/*.trx; do
    [ -e "$trx" ] || continue
    counters=$(grep -o '<Counters [^>]*>' "$trx")
    field() { sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p" <<<"$counters"; }
    passed=$((passed + $(field passed)))
    failed=$((failed + $(field failed)))
    skipped=$((skipped + $(field notExecuted)))
done

# The image's build step, as the Dockerfile runs it (no Docker engine here): publish, then start it.
if [ "$status" -eq 0 ]; then
    echo "publishing as the Dockerfile does and starting the published binary"
    if dotnet publish src/EtcdHygiene.Operator/EtcdHygiene.Operator.csproj -c Release -o artifacts/publish >"$results/publish.log" 2>&1 \
        && artifacts/publish/etcd-hygiene --help >>"$results/publish.log" 2>&1; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "publish or start failed:"; tail -20 "$results/publish.log"
        status=1
    fi
fi

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
    python3 scripts/lib/failed-tests.py "$results"/*.trx || true
fi
echo "$passed passed, $failed failed"
exit "$status"
