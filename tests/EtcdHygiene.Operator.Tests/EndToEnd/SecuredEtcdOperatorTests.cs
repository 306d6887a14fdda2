using System.Text;
using System.Text.Json.Nodes;
using EtcdHygiene.Testing.Cli;
using EtcdHygiene.Testing.Etcd;

namespace EtcdHygiene.Operator.Tests.EndToEnd;

/// <summary>The operator against etcd with mutual TLS and authentication, its material taken from Secrets.</summary>
[Trait("Etcd", "AnyVersion")]
public sealed class SecuredEtcdOperatorTests
{
    private const string Password = "Pa55-never-printed-7f3a";

    [Fact]
    public async Task WithTlsAndCredentialsFromSecrets_ThePolicyIsReady_AndAWrongPasswordIsNamedWithoutShowingAnySecret()
    {
        using var tls = await TestCertificates.CreateAsync();
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 1, Tls = tls });
        await cluster.EnableAuthAsync(Password);
        await using var kube = await OperatorFixture.StartAsync();
        var logs = new CapturedLogs();
        using var logging = logs.Factory();
        var metrics = new Prometheus.CollectorRegistry();
        kube.StartReplica(logging: logging, metrics: metrics);
        kube.ApplySecret("etcd-tls", ("ca.crt", File.ReadAllText(tls.CaCertificate)), ("tls.crt", File.ReadAllText(tls.ClientCertificate)), ("tls.key", File.ReadAllText(tls.ClientKey)));
        kube.ApplySecret("etcd-auth", ("username", "root"), ("password", Password));
        kube.ApplySecret("etcd-auth-wrong", ("username", "root"), ("password", "wrong-" + Password));

        Apply(kube, "secured", cluster, "etcd-auth");
        Apply(kube, "wrong", cluster, "etcd-auth-wrong");

        await OperatorFixture.WaitUntilAsync(() => kube.ConditionIs("secured", "Ready", "True"), what: "Ready over TLS and auth",
            describe: () => (string?)kube.Condition("secured", "Ready")?["message"] ?? "no condition");
        Assert.Equal(cluster.Members[0].ClientUrl, (string?)kube.Policy("secured")!["status"]!["members"]![0]!["endpoint"]);
        // Waiting for the words, not only for False, prints the whole condition when they never come.
        await OperatorFixture.WaitUntilAsync(
            () => kube.ConditionIs("wrong", "Ready", "False") && ((string?)kube.Condition("wrong", "Ready")!["message"])?.Contains("authentication failed") == true,
            what: "Ready False, naming the failed authentication", describe: () => kube.Condition("wrong", "Ready")?.ToJsonString() ?? "no condition");

        var scraped = await OperatorFixture.ScrapeAsync(metrics);
        Assert.Contains("etcd_hygiene_member_db_size_bytes{", scraped); // the secured policy's series are there to search
        var written = kube.Api.List(OperatorFixture.Policies).Concat(kube.Api.List(OperatorFixture.Events)).Select(o => o.ToJsonString()).Append(scraped).ToList();
        var key = File.ReadAllText(tls.ClientKey).Split('\n')[1]; // a line of the private key itself
        // Status and events, metrics, logs: none holds the password or a line of the private key.
        foreach (var secret in new[] { Password, key })
        {
            Assert.DoesNotContain(written, text => text.Contains(secret));
            Assert.DoesNotContain(logs.Lines, line => line.Contains(secret));
        }
    }

    [Fact]
    public async Task Run_ReadsTheSecretsFromFilesLaidOutAsKubernetesMountsThem_AndSaysWhatIsMissing()
    {
        using var tls = await TestCertificates.CreateAsync();
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 1, Tls = tls });
        await cluster.EnableAuthAsync(Password);
        using var folder = new PolicyFolder();
        var (policy, secrets) = WritePolicyWithSecretFiles(folder, "secured", "1h", cluster, tls);

        var (exit, output, errors) = await CliProcess.RunAsync("run", "--once", "--policy", policy, "--state-dir", folder.StateDirectory, "--secrets-dir", secrets);
        Assert.True(exit == 0, $"exit {exit}{Environment.NewLine}{output}{errors}");
        Assert.Contains("cycle succeeded", output + errors);

        var (noDir, _, refused) = await CliProcess.RunAsync("run", "--once", "--policy", policy, "--state-dir", folder.StateDirectory);
        Assert.Equal(1, noDir);
        Assert.Contains("pass --secrets-dir", refused);

        File.Delete(Path.Combine(secrets, "etcd-auth", "password"));
        var (missing, _, said) = await CliProcess.RunAsync("check", "--policy", policy, "--state-dir", folder.StateDirectory, "--secrets-dir", secrets);
        Assert.Equal(1, missing);
        Assert.Contains("Secret default/etcd-auth has no key \"password\"", said);
        Assert.DoesNotContain(Password, output + errors + refused + said);
    }

    [Fact]
    public async Task Run_WithAWrongPassword_SaysAuthenticationFailed_AndNoSecretReachesItsLogsMetricsOrState()
    {
        using var tls = await TestCertificates.CreateAsync();
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 1, Tls = tls });
        await cluster.EnableAuthAsync(Password);
        using var folder = new PolicyFolder();
        var (policy, secrets) = WritePolicyWithSecretFiles(folder, "wrong", "1s", cluster, tls);
        var wrong = "wrong-" + Password;
        File.WriteAllText(Path.Combine(secrets, "etcd-auth", "password"), wrong);
        var port = FreePorts.Take(1)[0];
        await using var run = CliProcess.Start("run", "--policy", policy, "--state-dir", folder.StateDirectory, "--secrets-dir", secrets,
            "--metrics-bind-address", $"127.0.0.1:{port}");

        // The failure the search relies on happened: the credentials were sent and refused.
        await run.WaitForTextAsync("authentication failed", TimeSpan.FromSeconds(30));
        using var http = new HttpClient();
        var scraped = await http.GetStringAsync($"http://127.0.0.1:{port}/metrics");
        Assert.Contains("etcd_hygiene_", scraped);
        run.Terminate();
        await run.WaitForExitAsync(TimeSpan.FromSeconds(30));

        var state = Directory.Exists(folder.StateDirectory)
            ? string.Concat(Directory.GetFiles(folder.StateDirectory).Select(File.ReadAllText))
            : "";
        var key = File.ReadAllText(tls.ClientKey).Split('\n')[1]; // a line of the private key itself
        foreach (var secret in new[] { Password, wrong, key })
        {
            Assert.DoesNotContain(secret, run.Output + run.Errors);
            Assert.DoesNotContain(secret, scraped);
            Assert.DoesNotContain(secret, state);
        }
    }

    [Fact]
    public async Task Run_UsesARotatedPassword_FromTheNextCycle_WithoutARestart()
    {
        const string rotated = "Rotated-pa55-0b9e";
        using var tls = await TestCertificates.CreateAsync();
        await using var cluster = await EtcdTestCluster.StartAsync(new() { Members = 1, Tls = tls });
        await cluster.EnableAuthAsync(Password);
        using var folder = new PolicyFolder();
        var (policy, secrets) = WritePolicyWithSecretFiles(folder, "rotating", "1s", cluster, tls);
        var passwordFile = Path.Combine(secrets, "etcd-auth", "password");
        await using var run = CliProcess.Start("run", "--policy", policy, "--state-dir", folder.StateDirectory, "--secrets-dir", secrets);
        await run.WaitForTextAsync("cycle succeeded", TimeSpan.FromSeconds(30));

        // The password changes in etcd (which invalidates the tokens issued before), then in the file.
        var admin = cluster.CreateClient();
        admin.SetCredentials("root", Password);
        await admin.UserChangePasswordAsync(new Etcdserverpb.AuthUserChangePasswordRequest { Name = "root", Password = rotated });
        File.WriteAllText(passwordFile, rotated);
        await run.WaitForTextAsync("the Secret files under", TimeSpan.FromSeconds(30));
        var rotatedAt = run.Errors.Length;
        await OperatorFixture.WaitUntilAsync(() => run.Errors[rotatedAt..].Contains("cycle succeeded"), TimeSpan.FromSeconds(30),
            what: "a cycle succeeding with the rotated password", describe: () => run.Errors);

        Assert.DoesNotContain(Password, run.Output + run.Errors);
        Assert.DoesNotContain(rotated, run.Output + run.Errors);
    }

    /// <summary>
    /// A policy naming the Secrets etcd-tls and etcd-auth, and a secrets folder holding them as
    /// Kubernetes mounts them (the root password is <see cref="Password"/>).
    /// </summary>
    private static (string Policy, string SecretsDirectory) WritePolicyWithSecretFiles(PolicyFolder folder, string name, string interval, EtcdTestCluster cluster, TestCertificates tls)
    {
        var secrets = Path.Combine(folder.Path, "secrets");
        Directory.CreateDirectory(Path.Combine(secrets, "etcd-tls"));
        Directory.CreateDirectory(Path.Combine(secrets, "etcd-auth"));
        File.Copy(tls.CaCertificate, Path.Combine(secrets, "etcd-tls", "ca.crt"));
        File.Copy(tls.ClientCertificate, Path.Combine(secrets, "etcd-tls", "tls.crt"));
        File.Copy(tls.ClientKey, Path.Combine(secrets, "etcd-tls", "tls.key"));
        File.WriteAllText(Path.Combine(secrets, "etcd-auth", "username"), "root");
        File.WriteAllText(Path.Combine(secrets, "etcd-auth", "password"), Password);
        var policy = folder.Write(name, cluster.ClientUrls, $"  compaction: {{ interval: {interval} }}");
        // The default request timeout: a TLS handshake with a client certificate on a loaded machine
        // can take longer than the short one other tests use.
        File.WriteAllText(policy, File.ReadAllText(policy)
            .Replace("requestTimeout: 3s", "requestTimeout: 10s")
            .Replace("    defragTimeout: 30s", "    defragTimeout: 30s\n    tlsSecretRef: { name: etcd-tls }\n    credentialsSecretRef: { name: etcd-auth }"));
        return (policy, secrets);
    }

    private static void Apply(OperatorFixture kube, string name, EtcdTestCluster cluster, string credentials)
    {
        // With analysis on, the churn watch authenticates too: its errors must not leak either.
        kube.ApplyPolicy(name, cluster.ClientUrls, new JsonObject
        {
            ["compaction"] = new JsonObject { ["interval"] = "1h" },
            ["analysis"] = new JsonObject { ["prefixes"] = new JsonArray("/micro/registry/") },
        }, credentialsSecret: credentials, tlsSecret: "etcd-tls");
    }
}
