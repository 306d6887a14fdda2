namespace EtcdHygiene.Core.Observation;

/// <summary>
/// etcd's advisory: before 3.4.22 and 3.5.6, a crash during an online defragmentation could leave
/// the member's data inconsistent. An operator that defragments on a schedule must not take that
/// risk on its own; <c>spec.defragmentation.allowUnsafeEtcdVersions</c> takes it knowingly.
/// </summary>
public static class OnlineDefragSafety
{
    /// <summary>The first fixed release of each affected minor version.</summary>
    public static readonly IReadOnlyList<Version> FixedIn = [new(3, 4, 22), new(3, 5, 6)];

    /// <summary>"3.4.22 and 3.5.6", for messages.</summary>
    public static string FixedVersions => string.Join(" and ", FixedIn.Select(v => v.ToString()));

    /// <summary>
    /// Whether the version a member reports (e.g. "3.5.4", "3.5.0-rc.1") has the defect: anything
    /// before 3.4.22, and 3.5.0 to 3.5.5. A version that cannot be read is not judged (null).
    /// </summary>
    public static bool? IsAffected(string? reported)
    {
        if (Parse(reported) is not { } version)
        {
            return null;
        }
        return version.Major < 3
            || (version.Major == 3 && version.Minor < 4)
            || (version.Major == 3 && version.Minor == 4 && version < FixedIn[0])
            || (version.Major == 3 && version.Minor == 5 && version < FixedIn[1]);
    }

    /// <summary>major.minor.patch of an etcd version string, ignoring a pre-release suffix.</summary>
    public static Version? Parse(string? reported)
    {
        var core = (reported ?? "").Split('-', '+')[0];
        var parts = core.Split('.');
        return parts.Length == 3 && parts.All(p => int.TryParse(p, out _))
            ? new Version(int.Parse(parts[0]), int.Parse(parts[1]), int.Parse(parts[2]))
            : null;
    }
}
