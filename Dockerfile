# syntax=docker/dockerfile:1
# Build: docker build -t etcd-hygiene .   Run: docker run etcd-hygiene --help
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
# Native AOT links with clang and needs zlib's headers.
RUN apt-get update && apt-get install -y --no-install-recommends clang zlib1g-dev && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Restore as its own layer: it only reruns when a project file or the package versions change.
COPY Directory.Build.props Directory.Packages.props ./
COPY src/EtcdHygiene.Core/EtcdHygiene.Core.csproj src/EtcdHygiene.Core/
COPY src/EtcdHygiene.Etcd/EtcdHygiene.Etcd.csproj src/EtcdHygiene.Etcd/
COPY src/EtcdHygiene.Kubernetes/EtcdHygiene.Kubernetes.csproj src/EtcdHygiene.Kubernetes/
COPY src/EtcdHygiene.Operator/EtcdHygiene.Operator.csproj src/EtcdHygiene.Operator/
RUN dotnet restore src/EtcdHygiene.Operator/EtcdHygiene.Operator.csproj -r linux-x64
COPY src/ src/
# One Native AOT executable (PublishAot in the project), as scripts/test.sh publishes and tests it:
# no .NET runtime in the image, a start in milliseconds, a few MiB idle. A trimming or AOT warning fails it.
RUN dotnet publish src/EtcdHygiene.Operator/EtcdHygiene.Operator.csproj -c Release -r linux-x64 --no-restore -o /app

# Chiseled runtime-deps: glibc, OpenSSL and ICU's absence are all a Native AOT executable needs;
# no shell, no package manager, non-root user 65532 ("app") by default.
FROM mcr.microsoft.com/dotnet/runtime-deps:10.0-noble-chiseled
WORKDIR /app
COPY --from=build /app/etcd-hygiene ./
USER 65532:65532
ENTRYPOINT ["/app/etcd-hygiene"]
CMD ["operator"]
