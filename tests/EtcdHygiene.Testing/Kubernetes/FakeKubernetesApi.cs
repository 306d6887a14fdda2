using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using EtcdHygiene.Kubernetes.Crd;
using k8s.Models;

namespace EtcdHygiene.Testing.Kubernetes;

/// <summary>
/// An in-process Kubernetes API server for tests: real HTTP on 127.0.0.1, the real wire format.
/// LIST with a resourceVersion, WATCH streams of newline-delimited events with bookmarks and 410
/// Gone for expired versions, the status subresource (spec changes bump generation, status writes
/// do not), merge patch (409 only on a stale resourceVersion it carries), finalizers, and the
/// RegistryPolicy CRD's admission as strict as a real server's (<see cref="CrdAdmission"/>).
/// Test code, never shipped.
/// </summary>
public sealed class FakeKubernetesApi : IAsyncDisposable
{
    private readonly object _gate = new();
    private readonly WebApplication _app;
    private readonly Dictionary<ResourceKind, (string Kind, bool HasStatus)> _kinds = [];
    private readonly Dictionary<ResourceKind, CrdAdmission> _admission = [];
    private readonly Dictionary<ResourceKey, JsonObject> _objects = [];
    private readonly List<(long Version, string Type, ResourceKey Key, JsonObject Object)> _history = [];
    private readonly List<Watcher> _watchers = [];
    private long _version = 100;
    private long _oldestWatchable;
    private int _changesBeforeStatusWrites;
    private long _unreachableUntilTicks;

    private FakeKubernetesApi(WebApplication app)
    {
        _app = app;
        InstallCrd(RegistryPolicyCrd.Build());
        Register(new ResourceKind("apis/coordination.k8s.io/v1", "leases"), "Lease", hasStatus: false);
        Register(new ResourceKind("api/v1", "secrets"), "Secret", hasStatus: false);
        Register(new ResourceKind("api/v1", "events"), "Event", hasStatus: false);
        Register(new ResourceKind("apis/events.k8s.io/v1", "events"), "Event", hasStatus: false);
    }

    /// <summary>The server's base URL, e.g. http://127.0.0.1:41234.</summary>
    public string Url { get; private set; } = "";

    /// <summary>Every request as "METHOD path?query", in order.</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    /// <summary>Every status the status subresource accepted, as "namespace/name" and the status after the write, in order.</summary>
    public ConcurrentQueue<(string Object, JsonNode? Status)> StatusWrites { get; } = new();

    /// <summary>When set, every watch ends cleanly as soon as it has sent what it had.</summary>
    public bool EndWatchesAtOnce { get; set; }

    /// <summary>How often an idle watch with allowWatchBookmarks gets a BOOKMARK.</summary>
    public TimeSpan BookmarkInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Starts the server on a free loopback port.</summary>
    public static async Task<FakeKubernetesApi> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var api = new FakeKubernetesApi(app);
        app.Run(api.HandleAsync);
        await app.StartAsync();
        api.Url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return api;
    }

    /// <summary>
    /// Serves the custom resource <paramref name="crd"/> defines, with what a real server does from
    /// its schema on every write (<see cref="CrdAdmission"/>): pruning, defaults, validation, CEL.
    /// </summary>
    public void InstallCrd(V1CustomResourceDefinition crd)
    {
        var admission = new CrdAdmission(crd);
        var kind = new ResourceKind($"apis/{crd.Spec.Group}/{admission.Version.Name}", crd.Spec.Names.Plural);
        lock (_gate)
        {
            _admission[kind] = admission;
        }
        Register(kind, crd.Spec.Names.Kind, hasStatus: admission.Version.Subresources?.Status is not null);
    }

    private List<ServedResource> Served()
    {
        lock (_gate)
        {
            return _kinds.Select(k => new ServedResource(k.Key, k.Value.Kind, k.Value.HasStatus,
                _admission.TryGetValue(k.Key, out var crd) ? [.. crd.Crd.Spec.Names.ShortNames ?? []] : [])).ToList();
        }
    }

    /// <summary>Declares a collection and the kind of its objects.</summary>
    public void Register(ResourceKind kind, string objectKind, bool hasStatus)
    {
        lock (_gate)
        {
            _kinds[kind] = (objectKind, hasStatus);
        }
    }

    /// <summary>The stored object, or null.</summary>
    public JsonObject? Get(ResourceKind kind, string ns, string name)
    {
        lock (_gate)
        {
            return _objects.GetValueOrDefault(new ResourceKey(kind, ns, name))?.DeepClone().AsObject();
        }
    }

    /// <summary>Every stored object of a kind.</summary>
    public IReadOnlyList<JsonObject> List(ResourceKind kind)
    {
        lock (_gate)
        {
            return _objects.Where(o => o.Key.Kind == kind).Select(o => o.Value.DeepClone().AsObject()).ToList();
        }
    }

    /// <summary>Watches open right now.</summary>
    public int ActiveWatches
    {
        get { lock (_gate) { return _watchers.Count; } }
    }

    /// <summary>Forgets the event history: a watch from any earlier resourceVersion now gets 410 Gone.</summary>
    public void ExpireHistory()
    {
        lock (_gate)
        {
            _history.Clear();
            _oldestWatchable = _version;
        }
    }

    /// <summary>Ends every open watch, as an API server does at its watch timeout.</summary>
    public void EndWatches()
    {
        lock (_gate)
        {
            _watchers.ForEach(w => w.Channel.Writer.TryComplete());
            _watchers.Clear();
        }
    }

    /// <summary>
    /// Drops every watch, runs <paramref name="mutate"/> while no watch can see it, then forgets the
    /// history: a client resuming from its last version gets 410 Gone and must relist to learn
    /// what happened in the gap.
    /// </summary>
    public void WhileDisconnected(Action mutate)
    {
        lock (_gate)
        {
            EndWatches();
            mutate();
            ExpireHistory();
        }
    }

    /// <summary>
    /// Before each of the next <paramref name="count"/> status writes, someone else changes the
    /// object (an annotation, as a user's <c>kubectl annotate</c> would): a write that carries the
    /// resourceVersion it read then gets 409 Conflict, as on a real server; one without does not.
    /// </summary>
    public void ChangeBeforeNextStatusWrites(int count) => Interlocked.Exchange(ref _changesBeforeStatusWrites, count);

    /// <summary>
    /// Creates or replaces an object directly (as kubectl apply would), with a watch event; what the
    /// schema refuses throws <see cref="ApiRefusalException"/> with the server's answer.
    /// </summary>
    public JsonObject Apply(ResourceKind kind, string ns, JsonObject body)
    {
        var name = (string)body["metadata"]!["name"]!;
        (int Code, JsonObject? Object) result;
        lock (_gate)
        {
            var key = new ResourceKey(kind, ns, name);
            if (_objects.TryGetValue(key, out var existing))
            {
                var replacement = body.DeepClone().AsObject();
                replacement["metadata"]!["resourceVersion"] = (string?)existing["metadata"]!["resourceVersion"];
                result = Replace(key, existing, replacement, statusOnly: false, FieldValidation.Ignore);
            }
            else
            {
                result = Create(key, body, FieldValidation.Ignore);
            }
        }
        return result.Code < 300 ? result.Object! : throw new ApiRefusalException(result.Code, result.Object!);
    }

    /// <summary>
    /// Stores an object exactly as given, status included, with no validation, defaulting or
    /// pruning: how a real cluster comes to hold an object today's schema refuses (it was stored
    /// under an earlier version of the CRD). A watch event tells it, as a real server's would.
    /// </summary>
    public JsonObject StoreAsIs(ResourceKind kind, string ns, JsonObject body)
    {
        var name = (string)body["metadata"]!["name"]!;
        lock (_gate)
        {
            var key = new ResourceKey(kind, ns, name);
            var stored = body.DeepClone().AsObject();
            if (!_objects.TryGetValue(key, out var existing))
            {
                return Create(key, stored, validation: null).Object!;
            }
            stored["metadata"] = existing["metadata"]!.DeepClone();
            stored["metadata"]!["resourceVersion"] = (++_version).ToString();
            _objects[key] = stored;
            Publish("MODIFIED", key, stored);
            return stored.DeepClone().AsObject();
        }
    }

    /// <summary>Deletes an object directly (finalizers honoured).</summary>
    public void Delete(ResourceKind kind, string ns, string name)
    {
        lock (_gate)
        {
            DeleteObject(new ResourceKey(kind, ns, name));
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        EndWatches();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>
    /// For <paramref name="duration"/>, every request has its connection dropped and every watch
    /// ends, as when the API server or the network to it goes away for a while.
    /// </summary>
    public void BeUnreachableFor(TimeSpan duration)
    {
        Interlocked.Exchange(ref _unreachableUntilTicks, (DateTime.UtcNow + duration).Ticks);
        EndWatches();
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        if (DateTime.UtcNow.Ticks < Interlocked.Read(ref _unreachableUntilTicks))
        {
            context.Abort();
            return;
        }
        Requests.Enqueue($"{request.Method} {request.Path}{request.QueryString}");
        if (request.Method == "GET" && Discovery.For(request.Path.Value ?? "", Served(), request.Host.Value ?? "") is { } document)
        {
            await WriteAsync(context, document);
            return;
        }
        var route = Route.Parse(request.Path.Value ?? "");
        if (route is null || !_kinds.ContainsKey(route.Kind))
        {
            context.Response.StatusCode = 404;
            await WriteAsync(context, Status(404, "NotFound", $"the server could not find the requested resource {request.Path}"));
            return;
        }
        JsonObject? body = null;
        if (request.ContentLength > 0 || request.Headers.TransferEncoding.Count > 0)
        {
            body = (await JsonNode.ParseAsync(request.Body)) as JsonObject;
        }
        if (request.Method == "GET" && route.Name is null && request.Query["watch"] == "true")
        {
            await WatchAsync(context, route);
            return;
        }
        (int Code, JsonObject? Object) result;
        var validation = new FieldValidation(request.Query["fieldValidation"].ToString());
        lock (_gate)
        {
            var table = TableView.IsAskedFor(request.Headers.Accept.ToString());
            result = request.Method switch
            {
                "GET" when route.Name is null => ListObjects(route, request.Query["fieldSelector"].ToString(), table, request.Query["limit"].ToString(), request.Query["continue"].ToString()),
                "GET" => Find(route) is { } found ? (200, table ? Table(route.Kind, [found]) : found.DeepClone().AsObject()) : NotFound(route),
                "POST" when route.Name is null && body is not null => Create(new ResourceKey(route.Kind, route.Namespace!, (string?)body["metadata"]?["name"] ?? ""), body, validation),
                "PUT" when body is not null => Update(route, existing => body, checkVersion: (string?)body["metadata"]?["resourceVersion"], validation),
                "PATCH" when body is not null => Update(route, existing => JsonMergePatch.Apply(existing, body)!.AsObject(), checkVersion: (string?)body["metadata"]?["resourceVersion"], validation),
                "DELETE" when route.Name is not null => Find(route) is not null ? (200, DeleteObject(Key(route))) : NotFound(route),
                _ => (405, Status(405, "MethodNotAllowed", $"{request.Method} is not supported here")),
            };
        }
        context.Response.StatusCode = result.Code;
        foreach (var warning in validation.Warnings)
        {
            // RFC 7234 warn-text: a quoted string with backslash escapes, as the real server writes it.
            context.Response.Headers.Append("Warning", $"299 - \"{warning.Replace("\\", "\\\\").Replace("\"", "\\\"")}\"");
        }
        await WriteAsync(context, result.Object);
    }

    /// <summary>
    /// A LIST, in pages when asked (<c>limit</c>, then <c>continue</c>): the token carries the
    /// list's resourceVersion and the last key sent, every page reports that version, and a token
    /// older than the history kept is 410 Gone, as the real server answers an expired one.
    /// </summary>
    private (int, JsonObject) ListObjects(Route route, string fieldSelector, bool table, string limitText, string continueToken)
    {
        var version = _version;
        var after = "";
        if (continueToken.Length > 0)
        {
            var parts = continueToken.Split('|', 2);
            version = long.Parse(parts[0]);
            after = parts[1];
            if (version < _oldestWatchable)
            {
                return (410, Status(410, "Expired", "The provided continue parameter is too old to display a consistent list result."));
            }
        }
        var selected = _objects
            .Where(o => o.Key.Kind == route.Kind && (route.Namespace is null || o.Key.Namespace == route.Namespace) && FieldSelector.Matches(o.Value, fieldSelector))
            .Select(o => (Sort: $"{o.Key.Namespace}/{o.Key.Name}", o.Value))
            .Where(o => string.CompareOrdinal(o.Sort, after) > 0)
            .OrderBy(o => o.Sort, StringComparer.Ordinal)
            .ToList();
        var metadata = new JsonObject { ["resourceVersion"] = version.ToString() };
        if (int.TryParse(limitText, out var limit) && limit > 0 && selected.Count > limit)
        {
            selected = selected[..limit];
            metadata["continue"] = $"{version}|{selected[^1].Sort}";
        }
        if (table)
        {
            return (200, Table(route.Kind, selected.Select(o => o.Value)));
        }
        var items = new JsonArray(selected.Select(o => (JsonNode)o.Value.DeepClone()).ToArray());
        return (200, new JsonObject
        {
            ["kind"] = _kinds[route.Kind].Kind + "List",
            ["apiVersion"] = ApiVersion(route.Kind),
            ["metadata"] = metadata,
            ["items"] = items,
        });
    }

    /// <summary>Creates the object; without <paramref name="validation"/> it is stored as given, with no admission.</summary>
    private JsonObject Table(ResourceKind kind, IEnumerable<JsonObject> objects) =>
        TableView.Of(objects, _admission.TryGetValue(kind, out var crd) ? crd.Version.AdditionalPrinterColumns : null, _version.ToString(), DateTime.UtcNow);

    private (int Code, JsonObject? Object) Create(ResourceKey key, JsonObject body, FieldValidation? validation)
    {
        if (_objects.ContainsKey(key))
        {
            return (409, Status(409, "AlreadyExists", $"{key.Kind.Plural} \"{key.Name}\" already exists"));
        }
        var created = body.DeepClone().AsObject();
        if (validation is not null && Admit(key, created, previous: null, validation) is { } refused)
        {
            return refused;
        }
        var metadata = created["metadata"]!.AsObject();
        metadata["namespace"] = key.Namespace;
        metadata["uid"] = Guid.NewGuid().ToString();
        metadata["creationTimestamp"] = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ");
        metadata["generation"] = 1L;
        metadata["resourceVersion"] = (++_version).ToString();
        created["apiVersion"] ??= ApiVersion(key.Kind);
        created["kind"] ??= _kinds[key.Kind].Kind;
        _objects[key] = created;
        Publish("ADDED", key, created);
        return (201, created.DeepClone().AsObject());
    }

    private (int, JsonObject?) Update(Route route, Func<JsonObject, JsonObject> change, string? checkVersion, FieldValidation validation)
    {
        var key = Key(route);
        if (!_objects.TryGetValue(key, out var existing))
        {
            return NotFound(route);
        }
        if (route.Status && Interlocked.Decrement(ref _changesBeforeStatusWrites) >= 0)
        {
            var touched = existing.DeepClone().AsObject();
            touched["metadata"]!["annotations"] = new JsonObject { ["touched-by"] = "someone else", ["at"] = _version.ToString() };
            existing = Replace(key, existing, touched, statusOnly: false, FieldValidation.Ignore).Object!;
            existing = _objects[key];
        }
        if (checkVersion is not null && checkVersion != (string?)existing["metadata"]!["resourceVersion"])
        {
            return (409, Status(409, "Conflict",
                $"Operation cannot be fulfilled on {key.Kind.Plural} \"{key.Name}\": the object has been modified; please apply your changes to the latest version and try again"));
        }
        return Replace(key, existing, change(existing.DeepClone().AsObject()), route.Status, validation);
    }

    private (int Code, JsonObject? Object) Replace(ResourceKey key, JsonObject existing, JsonObject proposed, bool statusOnly, FieldValidation validation)
    {
        var updated = existing.DeepClone().AsObject();
        if (_kinds[key.Kind].HasStatus)
        {
            if (statusOnly)
            {
                updated["status"] = proposed["status"]?.DeepClone();
            }
            else
            {
                updated["spec"] = proposed["spec"]?.DeepClone();
                updated["metadata"] = MergeMetadata(existing, proposed);
                if (!JsonNode.DeepEquals(existing["spec"], proposed["spec"]))
                {
                    updated["metadata"]!["generation"] = (long)existing["metadata"]!["generation"]! + 1;
                }
            }
        }
        else
        {
            updated = proposed;
            updated["metadata"] = MergeMetadata(existing, proposed);
        }
        if (Admit(key, updated, existing, validation) is { } refused)
        {
            return refused;
        }
        if (statusOnly)
        {
            StatusWrites.Enqueue(($"{key.Namespace}/{key.Name}", updated["status"]?.DeepClone()));
        }
        updated["metadata"]!["resourceVersion"] = (++_version).ToString();
        if (updated["metadata"]!["deletionTimestamp"] is not null && updated["metadata"]!["finalizers"] is not JsonArray { Count: > 0 })
        {
            _objects.Remove(key);
            Publish("DELETED", key, updated);
            return (200, updated.DeepClone().AsObject());
        }
        _objects[key] = updated;
        Publish("MODIFIED", key, updated);
        return (200, updated.DeepClone().AsObject());
    }

    /// <summary>
    /// The CRD's admission for custom resources: pruning and defaults change <paramref name="proposed"/>;
    /// the answer is null when it may be stored, else the refusal. On an update, an invalid value
    /// the object already had is let through (validation ratcheting, on by default since
    /// Kubernetes 1.30), so an object stored under an earlier schema can still get its status.
    /// </summary>
    private (int Code, JsonObject? Object)? Admit(ResourceKey key, JsonObject proposed, JsonObject? previous, FieldValidation validation)
    {
        if (!_admission.TryGetValue(key.Kind, out var admission))
        {
            return null;
        }
        var (unknown, errors) = admission.Admit(proposed);
        var kind = admission.Crd.Spec.Names.Kind;
        if (unknown.Count > 0 && validation.Strict)
        {
            var fields = string.Join(", ", unknown.Select(f => $"unknown field \"{f}\""));
            return (400, Status(400, "BadRequest", $"{kind} in version \"{admission.Version.Name}\" cannot be handled as a {kind}: strict decoding error: {fields}"));
        }
        if (validation.Warns)
        {
            validation.Warnings.AddRange(unknown.Select(f => $"unknown field \"{f}\""));
        }
        if (previous is not null)
        {
            errors = errors.Where(e => !JsonNode.DeepEquals(FieldPath.Find(proposed, e.Field), FieldPath.Find(previous, e.Field)) || FieldPath.Find(previous, e.Field) is null).ToList();
        }
        if (errors.Count == 0)
        {
            return null;
        }
        var listed = errors.Count == 1 ? errors[0].ToString() : $"[{string.Join(", ", errors)}]";
        var status = Status(422, "Invalid", $"{kind}.{admission.Crd.Spec.Group} \"{key.Name}\" is invalid: {listed}");
        status["details"] = new JsonObject
        {
            ["name"] = key.Name,
            ["group"] = admission.Crd.Spec.Group,
            ["kind"] = kind,
            ["causes"] = new JsonArray(errors.Select(e => (JsonNode)new JsonObject { ["reason"] = e.Reason, ["message"] = e.Message, ["field"] = e.Field }).ToArray()),
        };
        return (422, status);
    }

    /// <summary>Clients may change labels, annotations and finalizers; the server owns the rest.</summary>
    private static JsonObject MergeMetadata(JsonObject existing, JsonObject proposed)
    {
        var metadata = existing["metadata"]!.DeepClone().AsObject();
        foreach (var field in new[] { "labels", "annotations", "finalizers", "ownerReferences" })
        {
            metadata[field] = proposed["metadata"]?[field]?.DeepClone();
            if (metadata[field] is null)
            {
                metadata.Remove(field);
            }
        }
        return metadata;
    }

    private JsonObject? DeleteObject(ResourceKey key)
    {
        if (!_objects.TryGetValue(key, out var existing))
        {
            return null;
        }
        if (existing["metadata"]!["finalizers"] is JsonArray { Count: > 0 })
        {
            if (existing["metadata"]!["deletionTimestamp"] is null)
            {
                existing["metadata"]!["deletionTimestamp"] = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ");
                existing["metadata"]!["resourceVersion"] = (++_version).ToString();
                Publish("MODIFIED", key, existing);
            }
            return existing.DeepClone().AsObject();
        }
        _objects.Remove(key);
        existing["metadata"]!["resourceVersion"] = (++_version).ToString();
        Publish("DELETED", key, existing);
        return Status(200, "Success", "deleted");
    }

    private void Publish(string type, ResourceKey key, JsonObject obj)
    {
        var snapshot = obj.DeepClone().AsObject();
        var version = long.Parse((string)snapshot["metadata"]!["resourceVersion"]!);
        _history.Add((version, type, key, snapshot));
        foreach (var watcher in _watchers.Where(w => w.Matches(key)))
        {
            watcher.Channel.Writer.TryWrite(Line(type, snapshot));
        }
    }

    private async Task WatchAsync(HttpContext context, Route route)
    {
        var query = context.Request.Query;
        var bookmarks = query["allowWatchBookmarks"] == "true";
        var timeout = int.TryParse(query["timeoutSeconds"], out var seconds) ? TimeSpan.FromSeconds(seconds) : TimeSpan.FromMinutes(30);
        var watcher = new Watcher(route.Kind, route.Namespace);
        var initial = new List<string>();
        lock (_gate)
        {
            var from = query["resourceVersion"].ToString();
            if (string.IsNullOrEmpty(from) || from == "0")
            {
                // No version: synthetic ADDED for everything, then changes.
                initial.AddRange(_objects.Where(o => watcher.Matches(o.Key)).Select(o => Line("ADDED", o.Value)));
            }
            else if (!long.TryParse(from, out var version) || version < _oldestWatchable)
            {
                initial.Add(Line("ERROR", Status(410, "Expired", $"too old resource version: {from} ({_oldestWatchable})")));
                watcher.Channel.Writer.TryComplete();
            }
            else
            {
                initial.AddRange(_history.Where(h => h.Version > version && watcher.Matches(h.Key)).Select(h => Line(h.Type, h.Object)));
            }
            if (EndWatchesAtOnce)
            {
                // As a server behind a proxy that cuts long requests: the watch closes cleanly at once.
                watcher.Channel.Writer.TryComplete();
            }
            if (!watcher.Channel.Reader.Completion.IsCompleted)
            {
                _watchers.Add(watcher);
            }
        }
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        using var ends = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        ends.CancelAfter(timeout);
        try
        {
            foreach (var line in initial)
            {
                await WriteLineAsync(context, line, ends.Token);
            }
            while (!ends.IsCancellationRequested)
            {
                using var tick = CancellationTokenSource.CreateLinkedTokenSource(ends.Token);
                tick.CancelAfter(BookmarkInterval);
                try
                {
                    if (!await watcher.Channel.Reader.WaitToReadAsync(tick.Token))
                    {
                        break;
                    }
                    while (watcher.Channel.Reader.TryRead(out var line))
                    {
                        await WriteLineAsync(context, line, ends.Token);
                    }
                }
                catch (OperationCanceledException) when (!ends.IsCancellationRequested)
                {
                    if (bookmarks)
                    {
                        string bookmark;
                        lock (_gate)
                        {
                            bookmark = Line("BOOKMARK", new JsonObject
                            {
                                ["kind"] = _kinds[route.Kind].Kind,
                                ["apiVersion"] = ApiVersion(route.Kind),
                                ["metadata"] = new JsonObject { ["resourceVersion"] = _version.ToString() },
                            });
                        }
                        await WriteLineAsync(context, bookmark, ends.Token);
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Timed out or the client went away: the stream just ends, as a real server's does.
        }
        finally
        {
            lock (_gate)
            {
                _watchers.Remove(watcher);
            }
        }
    }

    private static async Task WriteLineAsync(HttpContext context, string line, CancellationToken cancellationToken)
    {
        await context.Response.WriteAsync(line + "\n", cancellationToken);
        await context.Response.Body.FlushAsync(cancellationToken);
    }

    private static async Task WriteAsync(HttpContext context, JsonObject? body)
    {
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body?.ToJsonString() ?? "{}");
    }

    private JsonObject? Find(Route route) => _objects.GetValueOrDefault(Key(route));

    private static ResourceKey Key(Route route) => new(route.Kind, route.Namespace!, route.Name!);

    private static (int, JsonObject?) NotFound(Route route) =>
        (404, Status(404, "NotFound", $"{route.Kind.Plural} \"{route.Name}\" not found"));

    private static string ApiVersion(ResourceKind kind) => kind.ApiPrefix == "api/v1" ? "v1" : kind.ApiPrefix["apis/".Length..];

    private static string Line(string type, JsonObject obj) => new JsonObject { ["type"] = type, ["object"] = obj.DeepClone() }.ToJsonString();

    private static JsonObject Status(int code, string reason, string message) => new()
    {
        ["kind"] = "Status",
        ["apiVersion"] = "v1",
        ["metadata"] = new JsonObject(),
        ["status"] = code < 400 ? "Success" : "Failure",
        ["message"] = message,
        ["reason"] = reason,
        ["code"] = code,
    };

    private sealed class Watcher(ResourceKind kind, string? ns)
    {
        public Channel<string> Channel { get; } = System.Threading.Channels.Channel.CreateUnbounded<string>();

        public bool Matches(ResourceKey key) => key.Kind == kind && (ns is null || key.Namespace == ns);
    }

    /// <summary>A parsed request path.</summary>
    private sealed record Route(ResourceKind Kind, string? Namespace, string? Name, bool Status)
    {
        public static Route? Parse(string path)
        {
            var parts = path.Trim('/').Split('/');
            int prefixLength;
            if (parts.Length >= 2 && parts[0] == "api")
            {
                prefixLength = 2;
            }
            else if (parts.Length >= 3 && parts[0] == "apis")
            {
                prefixLength = 3;
            }
            else
            {
                return null;
            }
            var prefix = string.Join('/', parts[..prefixLength]);
            var rest = parts[prefixLength..];
            return rest switch
            {
                [var plural] => new Route(new ResourceKind(prefix, plural), null, null, false),
                ["namespaces", var ns, var plural] => new Route(new ResourceKind(prefix, plural), ns, null, false),
                ["namespaces", var ns, var plural, var name] => new Route(new ResourceKind(prefix, plural), ns, name, false),
                ["namespaces", var ns, var plural, var name, "status"] => new Route(new ResourceKind(prefix, plural), ns, name, true),
                _ => null,
            };
        }
    }
}
