using EtcdHygiene.Core.Policy;

namespace EtcdHygiene.Operator.Controller.Leadership;

/// <summary>The Lease's timings as flags give them, checked as client-go checks them.</summary>
public sealed record LeaseTimings(TimeSpan Duration, TimeSpan RenewDeadline, TimeSpan RetryPeriod)
{
    /// <summary>Parses and checks the three flags; an <see cref="ArgumentException"/> names the one at fault.</summary>
    public static LeaseTimings Parse(string duration, string renewDeadline, string retryPeriod)
    {
        var timings = new LeaseTimings(
            Read(duration, "--leader-election-lease-duration"), Read(renewDeadline, "--leader-election-renew-deadline"), Read(retryPeriod, "--leader-election-retry-period"));
        // A leader must give up acting before its Lease can expire under it, and must get a few tries in before giving up.
        if (timings.RenewDeadline >= timings.Duration)
        {
            throw new ArgumentException($"--leader-election-renew-deadline ({renewDeadline}) must be shorter than --leader-election-lease-duration ({duration})");
        }
        if (timings.RetryPeriod * 1.2 >= timings.RenewDeadline)
        {
            throw new ArgumentException($"--leader-election-retry-period ({retryPeriod}) must be well under --leader-election-renew-deadline ({renewDeadline}), by 1.2 times at least");
        }
        return timings;
    }

    private static TimeSpan Read(string text, string flag) =>
        GoDuration.TryParse(text, out var value) && value > TimeSpan.Zero ? value : throw new ArgumentException($"{flag} takes a positive duration such as 15s (got {text})");
}
