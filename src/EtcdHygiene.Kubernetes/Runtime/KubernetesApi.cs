using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using EtcdHygiene.Kubernetes.Resources;
using k8s;
using k8s.Authentication;
using k8s.Autorest;

namespace EtcdHygiene.Kubernetes.Runtime;

/// <summary>
/// The operator's connection to the API server: KubernetesClient's configuration (kubeconfig or
/// in-cluster), its TLS checks and credentials (tokens re-read from their file, exec plugins), and
/// the few requests the operator makes, read and written with our own source-generated JSON
/// (<see cref="ResourceJson"/>). Not KubernetesClient's <c>Kubernetes</c> client: constructing one
/// reads its serializer options, whose context roots every Kubernetes model — two thirds of the
/// Native AOT executable's types, start-up and idle memory (docs/architecture.md). Failures throw
/// <see cref="HttpOperationException"/>, as KubernetesClient's do, so callers tell 404, 409 and 410 apart.
/// </summary>
public sealed class KubernetesApi : IDisposable
{
    private readonly HttpClient _http;
    private readonly ServiceClientCredentials? _credentials;
    private readonly string? _tlsServerName;
    private readonly TimeSpan _timeout;

    private KubernetesApi(HttpClient http, Uri baseUri, ServiceClientCredentials? credentials, string? tlsServerName, TimeSpan timeout)
    {
        _http = http;
        BaseUri = baseUri;
        _credentials = credentials;
        _tlsServerName = tlsServerName;
        _timeout = timeout;
    }

    /// <summary>The API server.</summary>
    public Uri BaseUri { get; }

    /// <summary>
    /// A connection as <paramref name="config"/> describes it, as KubernetesClient would open it;
    /// <paramref name="handlers"/> (a rate limit) see every request, outermost first.
    /// </summary>
    public static KubernetesApi Create(KubernetesClientConfiguration config, params DelegatingHandler[] handlers)
    {
        if (!Uri.TryCreate(config.Host, UriKind.Absolute, out var host))
        {
            throw new k8s.Exceptions.KubeConfigException($"the API server's address is missing or not a URL ({config.Host})");
        }
        var sockets = new SocketsHttpHandler
        {
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests,
            KeepAlivePingDelay = TimeSpan.FromMinutes(3),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(30),
        };
        if (host.Scheme == Uri.UriSchemeHttps)
        {
            if (config.SkipTlsVerify)
            {
                sockets.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
            }
            else if (config.SslCaCerts is { Count: > 0 } authorities)
            {
                var ca = new X509Certificate2Collection(authorities);
                sockets.SslOptions.RemoteCertificateValidationCallback = (sender, certificate, chain, errors) =>
                    k8s.Kubernetes.CertificateValidationCallBack(sender, ca, certificate, chain, errors);
            }
        }
        if (ClientCertificate(config) is { } clientCertificate)
        {
            sockets.SslOptions.ClientCertificates = new X509Certificate2Collection(clientCertificate);
            sockets.SslOptions.LocalCertificateSelectionCallback = (_, _, _, _, _) => clientCertificate;
        }
        HttpMessageHandler first = sockets;
        for (var i = handlers.Length - 1; i >= 0; i--)
        {
            handlers[i].InnerHandler = first;
            first = handlers[i];
        }
        var http = new HttpClient(first) { Timeout = Timeout.InfiniteTimeSpan };
        if (!string.IsNullOrWhiteSpace(config.UserAgent))
        {
            http.DefaultRequestHeaders.TryAddWithoutValidation("User-Agent", config.UserAgent);
        }
        var baseUri = host.AbsoluteUri.EndsWith('/') ? host : new Uri(host.AbsoluteUri + "/");
        return new KubernetesApi(http, baseUri, k8s.Kubernetes.CreateCredentials(config), config.TlsServerName, config.HttpClientTimeout);
    }

    // The kubeconfig's client certificate and key, inline (base64 PEM) or as files.
    private static X509Certificate2? ClientCertificate(KubernetesClientConfiguration config)
    {
        static string? Pem(string? data, string? path) =>
            !string.IsNullOrEmpty(data) ? Encoding.UTF8.GetString(Convert.FromBase64String(data))
            : !string.IsNullOrEmpty(path) ? File.ReadAllText(path)
            : null;
        var certificate = Pem(config.ClientCertificateData, config.ClientCertificateFilePath);
        var key = Pem(config.ClientCertificateKeyData, config.ClientKeyFilePath);
        return certificate is null || key is null ? null : X509Certificate2.CreateFromPem(certificate, key);
    }

    /// <summary>Sends one request and reads the answer with <paramref name="response"/>.</summary>
    public async Task<T> SendAsync<T>(HttpMethod method, string path, JsonTypeInfo<T> response, HttpContent? body = null, CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_timeout);
        using var answer = await OpenAsync(method, path, body, HttpCompletionOption.ResponseContentRead, timeout.Token);
        await using var stream = await answer.Content.ReadAsStreamAsync(timeout.Token);
        return await JsonSerializer.DeserializeAsync(stream, response, timeout.Token)
               ?? throw new JsonException($"{method} {path}: the API server answered null");
    }

    /// <summary>Sends one request whose answer is read as untyped JSON.</summary>
    public async Task<JsonObject> SendAsync(HttpMethod method, string path, HttpContent? body = null, CancellationToken cancellationToken = default) =>
        (await SendAsync(method, path, ResourceJson.Default.JsonNode, body, cancellationToken)).AsObject();

    /// <summary>A JSON body.</summary>
    public static HttpContent Json<T>(T value, JsonTypeInfo<T> type) => Body(JsonSerializer.Serialize(value, type), "application/json");

    /// <summary>A JSON merge patch (RFC 7386) body.</summary>
    public static HttpContent MergePatch(JsonNode patch) => Body(patch.ToJsonString(), "application/merge-patch+json");

    /// <summary>
    /// Sends a request and returns the response once its headers came, its body still to read (a
    /// watch's stream); throws on an error status. No timeout but <paramref name="cancellationToken"/>.
    /// </summary>
    public async Task<HttpResponseMessage> OpenAsync(HttpMethod method, string path, HttpContent? body, HttpCompletionOption completion, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, new Uri(BaseUri, path)) { Content = body };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (!string.IsNullOrWhiteSpace(_tlsServerName))
        {
            request.Headers.Host = _tlsServerName;
        }
        if (_credentials is not null)
        {
            await _credentials.ProcessHttpRequestAsync(request, cancellationToken);
        }
        var response = await _http.SendAsync(request, completion, cancellationToken);
        if (response.IsSuccessStatusCode)
        {
            return response;
        }
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            throw new HttpOperationException($"Operation returned an invalid status code '{response.StatusCode}', response body {text}")
            {
                Response = new HttpResponseMessageWrapper(response, text),
            };
        }
    }

    /// <inheritdoc />
    public void Dispose() => _http.Dispose();

    private static StringContent Body(string text, string mediaType)
    {
        var content = new StringContent(text, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        return content;
    }
}
