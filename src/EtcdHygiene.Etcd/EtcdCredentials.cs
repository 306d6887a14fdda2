namespace EtcdHygiene.Etcd;

/// <summary>An etcd user and password.</summary>
/// <param name="Username">The etcd user.</param>
/// <param name="Password">Its password; never printed.</param>
public sealed record EtcdCredentials(string Username, string Password)
{
    /// <summary>Never prints the password (records print every property by default).</summary>
    public override string ToString() => $"EtcdCredentials {{ Username = {Username}, Password = *** }}";
}
