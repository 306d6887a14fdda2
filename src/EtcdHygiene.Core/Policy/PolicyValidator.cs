using System.Text.RegularExpressions;
using Cronos;
using EtcdHygiene.Core.Api;

namespace EtcdHygiene.Core.Policy;

/// <summary>
/// Checks a manifest and resolves it into a <see cref="HygienePolicy"/>. It reports every problem at
/// once, each naming its field, so that one edit fixes them all; nothing is done to etcd on an
/// invalid policy.
/// </summary>
public static partial class PolicyValidator
{
    /// <summary>Validates and resolves <paramref name="manifest"/>.</summary>
    public static PolicyValidation Validate(RegistryPolicyManifest manifest)
    {
        var problems = new List<string>();
        if (manifest.ApiVersion != RegistryPolicyManifest.ExpectedApiVersion)
        {
            problems.Add($"apiVersion must be {RegistryPolicyManifest.ExpectedApiVersion} (got {Show(manifest.ApiVersion)})");
        }
        if (manifest.Kind != RegistryPolicyManifest.ExpectedKind)
        {
            problems.Add($"kind must be {RegistryPolicyManifest.ExpectedKind} (got {Show(manifest.Kind)})");
        }
        var name = manifest.Metadata.Name;
        if (string.IsNullOrEmpty(name) || !DnsSubdomain().IsMatch(name) || name.Length > 253)
        {
            problems.Add($"metadata.name must be a lowercase DNS subdomain, e.g. registry-etcd (got {Show(name)})");
        }
        var ns = string.IsNullOrEmpty(manifest.Metadata.Namespace) ? "default" : manifest.Metadata.Namespace;
        if (manifest.Spec is null)
        {
            problems.Add("spec is required");
            return new PolicyValidation(null, problems);
        }

        var spec = manifest.Spec;
        var etcd = ResolveEtcd(spec.Etcd, problems);
        var compaction = ResolveCompaction(spec.Compaction ?? new(), problems);
        var defrag = ResolveDefragmentation(spec.Defragmentation ?? new(), problems);
        var alarms = ResolveAlarms(spec.Alarms ?? new(), problems);
        var analysis = ResolveAnalysis(spec.Analysis ?? new(), problems);
        if (problems.Count > 0)
        {
            return new PolicyValidation(null, problems);
        }
        return new PolicyValidation(new HygienePolicy
        {
            Key = new PolicyKey(ns, name!),
            Generation = manifest.Metadata.Generation ?? 0,
            Etcd = etcd,
            Compaction = compaction,
            Defragmentation = defrag,
            Alarms = alarms,
            Analysis = analysis,
            Suspend = spec.Suspend ?? false,
            DryRun = spec.DryRun ?? false,
        }, problems);
    }

    private static EtcdSettings ResolveEtcd(EtcdSpec? spec, List<string> problems)
    {
        const string path = "spec.etcd";
        var defaults = new EtcdSettings { Endpoints = [] };
        if (spec?.Endpoints is not { Count: > 0 } endpoints)
        {
            problems.Add($"{path}.endpoints must list at least one client URL, e.g. http://etcd-0.etcd-headless:2379");
            endpoints = [];
        }
        if (endpoints.Count > PolicyBounds.Endpoints)
        {
            problems.Add($"{path}.endpoints must list at most {PolicyBounds.Endpoints} URLs (got {endpoints.Count}); members are found through MemberList, one reachable URL is enough");
        }
        for (var i = 0; i < endpoints.Count; i++)
        {
            if (endpoints[i]?.Length > PolicyBounds.EndpointLength)
            {
                problems.Add($"{path}.endpoints[{i}] must be at most {PolicyBounds.EndpointLength} characters");
                continue;
            }
            var ok = Uri.TryCreate(endpoints[i], UriKind.Absolute, out var uri)
                && uri.Scheme is "http" or "https" && !string.IsNullOrEmpty(uri.Host) && uri.AbsolutePath is "/" or "";
            if (!ok)
            {
                problems.Add($"{path}.endpoints[{i}] must be an http:// or https:// URL with host and port, e.g. https://etcd-0:2379 (got {Show(endpoints[i])})");
            }
        }
        if (spec?.TlsSecretRef is { Name: var tlsName } && string.IsNullOrEmpty(tlsName))
        {
            problems.Add($"{path}.tlsSecretRef.name is required when tlsSecretRef is set");
        }
        if (spec?.CredentialsSecretRef is { Name: var credentialsName } && string.IsNullOrEmpty(credentialsName))
        {
            problems.Add($"{path}.credentialsSecretRef.name is required when credentialsSecretRef is set");
        }
        var quota = spec?.QuotaBackendBytes is null ? (long?)null : Bytes($"{path}.quotaBackendBytes", spec.QuotaBackendBytes, 0, problems, positive: true);
        var requestTimeout = Duration($"{path}.requestTimeout", spec?.RequestTimeout, defaults.RequestTimeout, problems, positive: true);
        var defragTimeout = Duration($"{path}.defragTimeout", spec?.DefragTimeout, defaults.DefragTimeout, problems, positive: true);
        if (defragTimeout < requestTimeout)
        {
            problems.Add($"{path}.defragTimeout must not be shorter than requestTimeout (got {GoDuration.Format(defragTimeout)} < {GoDuration.Format(requestTimeout)})");
        }
        var lockPrefix = spec?.LockPrefix ?? defaults.LockPrefix;
        if (lockPrefix.Length > PolicyBounds.KeyPrefixLength)
        {
            problems.Add($"{path}.lockPrefix must be at most {PolicyBounds.KeyPrefixLength} characters");
        }
        else if (!lockPrefix.StartsWith('/') || !lockPrefix.EndsWith('/') || lockPrefix.Length < 2)
        {
            problems.Add($"{path}.lockPrefix must start and end with '/', e.g. {PolicyDefaults.LockPrefix} (got {Show(lockPrefix)})");
        }
        return new EtcdSettings
        {
            Endpoints = endpoints,
            LockPrefix = lockPrefix,
            TlsSecretName = spec?.TlsSecretRef?.Name,
            CredentialsSecretName = spec?.CredentialsSecretRef?.Name,
            QuotaBackendBytes = quota,
            RequestTimeout = requestTimeout,
            DefragTimeout = defragTimeout,
        };
    }

    private static CompactionSettings ResolveCompaction(CompactionSpec spec, List<string> problems)
    {
        const string path = "spec.compaction";
        var defaults = new CompactionSettings();
        var mode = Enum<CompactionMode>($"{path}.mode", spec.Mode, defaults.Mode, problems);
        if (spec.RetainRevisions is <= 0)
        {
            problems.Add($"{path}.retainRevisions must be at least 1 (got {spec.RetainRevisions})");
        }
        return new CompactionSettings
        {
            Mode = mode,
            Retention = Duration($"{path}.retention", spec.Retention, defaults.Retention, problems, positive: true),
            RetainRevisions = spec.RetainRevisions ?? defaults.RetainRevisions,
            Interval = Duration($"{path}.interval", spec.Interval, defaults.Interval, problems, positive: true),
        };
    }

    private static DefragmentationSettings ResolveDefragmentation(DefragmentationSpec spec, List<string> problems)
    {
        const string path = "spec.defragmentation";
        var defaults = new DefragmentationSettings();
        var rule = spec.Rule ?? new DefragRuleSpec();
        if (spec.Schedule is not null)
        {
            try
            {
                CronExpression.Parse(spec.Schedule);
            }
            catch (CronFormatException e)
            {
                problems.Add($"{path}.schedule must be a cron expression with five fields, e.g. \"0 3 * * *\" (got {Show(spec.Schedule)}: {e.Message})");
            }
        }
        if (spec.WindowDuration is not null && spec.Schedule is null)
        {
            problems.Add($"{path}.windowDuration needs a schedule: without one, defragmentation may run at any time");
        }
        return new DefragmentationSettings
        {
            MinFragmentationRatio = Ratio($"{path}.rule.minFragmentationRatio", rule.MinFragmentationRatio, defaults.MinFragmentationRatio, problems),
            MinDbSizeBytes = Bytes($"{path}.rule.minDbSizeBytes", rule.MinDbSizeBytes, defaults.MinDbSizeBytes, problems),
            MinReclaimableBytes = Bytes($"{path}.rule.minReclaimableBytes", rule.MinReclaimableBytes, defaults.MinReclaimableBytes, problems),
            QuotaUsageAbove = Ratio($"{path}.rule.quotaUsageAbove", rule.QuotaUsageAbove, defaults.QuotaUsageAbove, problems),
            Schedule = spec.Schedule,
            WindowDuration = Duration($"{path}.windowDuration", spec.WindowDuration, defaults.WindowDuration, problems, positive: true),
            MoveLeader = spec.MoveLeader ?? defaults.MoveLeader,
            PauseBetweenMembers = Duration($"{path}.pauseBetweenMembers", spec.PauseBetweenMembers, defaults.PauseBetweenMembers, problems, positive: false),
            AllowUnsafeEtcdVersions = spec.AllowUnsafeEtcdVersions ?? defaults.AllowUnsafeEtcdVersions,
        };
    }

    private static AlarmSettings ResolveAlarms(AlarmsSpec spec, List<string> problems)
    {
        const string path = "spec.alarms";
        var defaults = new AlarmSettings();
        var ratio = Ratio($"{path}.disarmBelowQuotaRatio", spec.DisarmBelowQuotaRatio, defaults.DisarmBelowQuotaRatio, problems);
        if (ratio == 0)
        {
            problems.Add($"{path}.disarmBelowQuotaRatio must be above 0 (got 0): no member can be below 0% of its quota");
        }
        var preempt = Ratio($"{path}.preemptAboveQuotaRatio", spec.PreemptAboveQuotaRatio, defaults.PreemptAboveQuotaRatio, problems);
        if (preempt > 0 && preempt <= ratio)
        {
            // Prevention stops once every member is below the disarm ratio; starting at or below it would never stop.
            problems.Add($"{path}.preemptAboveQuotaRatio must be above disarmBelowQuotaRatio ({ratio}), or 0 to turn prevention off (got {preempt})");
        }
        var check = Duration($"{path}.checkInterval", spec.CheckInterval, defaults.CheckInterval, problems, positive: true);
        if (check > TimeSpan.Zero && GoDuration.TryParse(PolicyBounds.MinCheckInterval, out var shortest) && check < shortest)
        {
            problems.Add($"{path}.checkInterval must be at least {PolicyBounds.MinCheckInterval} (got {Show(spec.CheckInterval)}): every check reads every member's Status");
        }
        return new AlarmSettings
        {
            DisarmNoSpace = spec.DisarmNoSpace ?? defaults.DisarmNoSpace,
            DisarmBelowQuotaRatio = ratio,
            EmergencyCompaction = Enum<EmergencyCompaction>($"{path}.emergencyCompaction", spec.EmergencyCompaction, defaults.EmergencyCompaction, problems),
            CheckInterval = check,
            PreemptAboveQuotaRatio = preempt,
        };
    }

    private static AnalysisSettings ResolveAnalysis(AnalysisSpec spec, List<string> problems)
    {
        const string path = "spec.analysis";
        var defaults = new AnalysisSettings();
        var prefixes = spec.Prefixes ?? [];
        if (prefixes.Count > PolicyBounds.Prefixes)
        {
            problems.Add($"{path}.prefixes must list at most {PolicyBounds.Prefixes} prefixes (got {prefixes.Count})");
        }
        for (var i = 0; i < prefixes.Count; i++)
        {
            if (string.IsNullOrEmpty(prefixes[i]))
            {
                problems.Add($"{path}.prefixes[{i}] must not be empty");
            }
            else if (prefixes[i].Length > PolicyBounds.KeyPrefixLength)
            {
                problems.Add($"{path}.prefixes[{i}] must be at most {PolicyBounds.KeyPrefixLength} characters");
            }
        }
        if (spec.TopKeys is < 1 or > 100)
        {
            problems.Add($"{path}.topKeys must be between 1 and 100 (got {spec.TopKeys})");
        }
        if (spec.GroupDepth is < 0 or > 32)
        {
            problems.Add($"{path}.groupDepth must be between 0 and 32 (got {spec.GroupDepth})");
        }
        return new AnalysisSettings
        {
            Prefixes = prefixes,
            GroupDepth = spec.GroupDepth,
            Window = Duration($"{path}.window", spec.Window, defaults.Window, problems, positive: true),
            TopKeys = spec.TopKeys ?? defaults.TopKeys,
        };
    }

    private static TimeSpan Duration(string field, string? text, TimeSpan fallback, List<string> problems, bool positive)
    {
        if (text is null)
        {
            return fallback;
        }
        if (!GoDuration.TryParse(text, out var value))
        {
            problems.Add($"{field} must be a duration such as 10s, 5m or 1h30m (got {Show(text)})");
            return fallback;
        }
        if (positive && value <= TimeSpan.Zero)
        {
            problems.Add($"{field} must be longer than 0 (got {Show(text)})");
        }
        return value;
    }

    private static long Bytes(string field, string? text, long fallback, List<string> problems, bool positive = false)
    {
        if (text is null)
        {
            return fallback;
        }
        if (!Quantity.TryParseBytes(text, out var value))
        {
            problems.Add($"{field} must be a byte quantity such as 100Mi or 2Gi (got {Show(text)})");
            return fallback;
        }
        if (positive && value <= 0)
        {
            problems.Add($"{field} must be more than 0 bytes (got {Show(text)})");
        }
        return value;
    }

    private static double Ratio(string field, double? value, double fallback, List<string> problems)
    {
        if (value is null)
        {
            return fallback;
        }
        if (double.IsNaN(value.Value) || value < 0 || value > 1)
        {
            problems.Add($"{field} must be between 0 and 1 (got {value})");
            return fallback;
        }
        return value.Value;
    }

    private static T Enum<T>(string field, string? text, T fallback, List<string> problems) where T : struct, Enum
    {
        if (text is null)
        {
            return fallback;
        }
        // Exact names only, as the CRD's enum will accept: "periodic" would be refused by Kubernetes too.
        if (System.Enum.GetNames<T>().Contains(text))
        {
            return System.Enum.Parse<T>(text);
        }
        problems.Add($"{field} must be one of {string.Join(", ", System.Enum.GetNames<T>())} (got {Show(text)})");
        return fallback;
    }

    private static string Show(string? value) => value is null ? "nothing" : $"\"{value}\"";

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex DnsSubdomain();
}
