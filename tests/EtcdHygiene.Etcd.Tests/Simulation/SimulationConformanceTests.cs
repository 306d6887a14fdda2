using EtcdHygiene.Testing.Etcd;
using Xunit.Abstractions;

namespace EtcdHygiene.Etcd.Tests.Simulation;

/// <summary>
/// The simulated cluster must not drift from etcd: each scenario runs on real etcd (the version
/// the run takes: 3.4, then 3.5) and on the simulation, and both must observe the same.
/// </summary>
public sealed class SimulationConformanceTests(ITestOutputHelper output)
{
    private const long QuotaBytes = 8L * 1024 * 1024;

    private static readonly EtcdConnectionOptions Timeouts = new()
    {
        Endpoints = ["http://placeholder"],
        RequestTimeout = TimeSpan.FromSeconds(2),
        DefragTimeout = TimeSpan.FromSeconds(4),
    };

    public static TheoryData<string> Scenarios => new(ConformanceScenarios.All.Keys);

    [Theory]
    [MemberData(nameof(Scenarios))]
    public async Task TheSimulation_ObservesWhatEtcdObserves(string scenario)
    {
        var play = ConformanceScenarios.All[scenario];
        List<string> real;
        await using (var etcd = await RealEtcdTarget.StartAsync(3, QuotaBytes, Timeouts))
        {
            real = await play(etcd);
        }
        await using var simulation = new SimulatedTarget(3, QuotaBytes, EtcdBinary.Version(), Timeouts);
        var simulated = await play(simulation);

        for (var i = 0; i < Math.Max(real.Count, simulated.Count); i++)
        {
            output.WriteLine($"etcd:       {real.ElementAtOrDefault(i)}");
            output.WriteLine($"simulation: {simulated.ElementAtOrDefault(i)}");
        }
        Assert.Equal(real, simulated);
    }
}
