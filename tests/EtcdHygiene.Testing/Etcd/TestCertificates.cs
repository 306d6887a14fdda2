using EtcdHygiene.Testing.Cli;

namespace EtcdHygiene.Testing.Etcd;

/// <summary>
/// A private CA and the certificates a TLS test needs, made with openssl in a temp folder: a
/// server certificate for 127.0.0.1, a client certificate, one signed by another CA, and one that
/// expired in 2020. Files are PEM; the folder goes with <see cref="Dispose"/>.
/// </summary>
public sealed class TestCertificates : IDisposable
{
    private TestCertificates(string folder)
    {
        Folder = folder;
    }

    /// <summary>Where the files are.</summary>
    public string Folder { get; }

    public string CaCertificate => File("ca.crt");
    public string ServerCertificate => File("server.crt");
    public string ServerKey => File("server.key");
    public string ClientCertificate => File("client.crt");
    public string ClientKey => File("client.key");
    /// <summary>A CA that signed nothing here: trusting it instead of <see cref="CaCertificate"/> must fail.</summary>
    public string OtherCaCertificate => File("other-ca.crt");
    /// <summary>A client certificate from the right CA that expired on 2020-01-02.</summary>
    public string ExpiredClientCertificate => File("expired.crt");

    /// <summary>Makes everything; throws with openssl's words when it fails.</summary>
    public static async Task<TestCertificates> CreateAsync()
    {
        var folder = Path.Combine(Path.GetTempPath(), "etcd-hygiene-certs-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(folder);
        var certificates = new TestCertificates(folder);
        try
        {
            await certificates.MakeAsync();
            return certificates;
        }
        catch
        {
            certificates.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (Directory.Exists(Folder))
        {
            Directory.Delete(Folder, recursive: true);
        }
    }

    private string File(string name) => Path.Combine(Folder, name);

    private async Task MakeAsync()
    {
        await OpensslAsync("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", File("ca.key"), "-out", File("ca.crt"), "-days", "2", "-subj", "/CN=etcd-hygiene test CA");
        await OpensslAsync("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", File("other-ca.key"), "-out", File("other-ca.crt"), "-days", "2", "-subj", "/CN=another CA");
        System.IO.File.WriteAllText(File("server.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n");
        System.IO.File.WriteAllText(File("client.ext"), "extendedKeyUsage=clientAuth\n");
        await SignedAsync("server", "/CN=127.0.0.1", "server.ext");
        await SignedAsync("client", "/CN=etcd-hygiene-client", "client.ext");
        // openssl x509 cannot date a certificate in the past; openssl ca can, with a minimal CA database.
        System.IO.File.WriteAllText(File("index.txt"), "");
        System.IO.File.WriteAllText(File("serial"), "1000\n");
        System.IO.File.WriteAllText(File("ca.cnf"), $"""
            [ca]
            default_ca = test
            [test]
            database = {File("index.txt")}
            new_certs_dir = {Folder}
            serial = {File("serial")}
            default_md = sha256
            policy = any
            [any]
            commonName = supplied
            [client]
            extendedKeyUsage = clientAuth
            """);
        await OpensslAsync("ca", "-batch", "-config", File("ca.cnf"), "-cert", File("ca.crt"), "-keyfile", File("ca.key"), "-in", File("client.csr"),
            "-out", File("expired.crt"), "-startdate", "20200101000000Z", "-enddate", "20200102000000Z", "-extensions", "client", "-notext");
    }

    private async Task SignedAsync(string name, string subject, string extensions)
    {
        await OpensslAsync("req", "-newkey", "rsa:2048", "-nodes", "-keyout", File($"{name}.key"), "-out", File($"{name}.csr"), "-subj", subject);
        await OpensslAsync("x509", "-req", "-in", File($"{name}.csr"), "-CA", File("ca.crt"), "-CAkey", File("ca.key"), "-CAcreateserial",
            "-out", File($"{name}.crt"), "-days", "2", "-extfile", File(extensions));
    }

    private static async Task OpensslAsync(params string[] arguments)
    {
        var (exit, output, errors) = await ExternalTool.RunAsync("openssl", arguments);
        if (exit != 0)
        {
            throw new InvalidOperationException($"openssl {arguments[0]} failed: {errors}{output}");
        }
    }
}
