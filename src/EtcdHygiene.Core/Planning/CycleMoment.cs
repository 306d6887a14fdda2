namespace EtcdHygiene.Core.Planning;

/// <summary>
/// The time as the cycle's decisions need it: <paramref name="Now"/>, the wall clock, for what is
/// kept across processes (the pause counts from a saved time), and <paramref name="SinceStart"/>,
/// the monotonic time since the cycle began, for its own windows — a wall clock stepped back an
/// hour must not stretch a retry by an hour (the schedule explorer found it).
/// </summary>
public readonly record struct CycleMoment(DateTimeOffset Now, TimeSpan SinceStart);
