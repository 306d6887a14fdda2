# syntax=docker/dockerfile:1
# Build: docker build -t etcd-hygiene .   Run: docker run etcd-hygiene --help
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# Restore as its own layer: it only reruns when a project file or the package versions change.
COPY Directory.Build.props Directory.Packages.props ./
COPY src/EtcdHygiene.Core/EtcdHygiene.Core.csproj src/EtcdHygiene.Core/
COPY src/EtcdHygiene.Etcd/EtcdHygiene.Etcd.csproj src/EtcdHygiene.Etcd/
COPY src/EtcdHygiene.Kubernetes/EtcdHygiene.Kubernetes.csproj src/EtcdHygiene.Kubernetes/
COPY src/EtcdHygiene.Operator/EtcdHygiene.Operator.csproj src/EtcdHygiene.Operator/
RUN dotnet restore src/EtcdHygiene.Operator/EtcdHygiene.Operator.csproj
COPY src/ src/
# No trimming: KubernetesClient and System.Text.Json serialization rely on reflection.
RUN dotnet publish src/EtcdHygiene.Operator/EtcdHygiene.Operator.csproj -c Release --no-restore -o /app

# Chiseled: no shell, no package manager, non-root user 65532 ("app") by default.
FROM mcr.microsoft.com/dotnet/aspnet:10.0-noble-chiseled
WORKDIR /app
COPY --from=build /app ./
# A 1 MiB gen0 budget instead of one sized from the CPU cache: the operator allocates little and
# idles between cycles, and this is most of the difference to 100 MiB at 100 policies
# (bench/results/latest.md). Environment only: runtimeconfig.json cannot set it.
ENV DOTNET_GCgen0size=0x100000
USER 65532:65532
ENTRYPOINT ["/app/etcd-hygiene"]
CMD ["operator"]
