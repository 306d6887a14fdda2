using System.Collections;
using System.Text.Json;
using EtcdHygiene.Core.Api;
using EtcdHygiene.Core.Planning;

namespace EtcdHygiene.Core.Tests.Api;

/// <summary>
/// The kept state survives a restart through status (the operator) and through a state file's
/// JSON (run): every field of it, so that a field added to <see cref="HygieneState"/> and not to
/// <see cref="KeptStateStatus"/> fails here rather than being forgotten across a restart.
/// </summary>
public sealed class KeptStateStatusTests
{
    private static readonly DateTimeOffset Noon = new(2026, 12, 3, 12, 0, 0, 250, TimeSpan.Zero);

    /// <summary>Every field set, none to its default.</summary>
    private static readonly HygieneState Full = new()
    {
        ClusterId = "dc9db3329ebcb881",
        PreventionGaveUpAt = Noon.AddMinutes(-30),
        Samples = [new RevisionSample(Noon.AddMinutes(-61), 1_000), new RevisionSample(Noon.AddMinutes(-1), 2_000)],
        LastCompactionTime = Noon.AddMinutes(-5),
        LastCompactedRevision = 1_000,
        LastDefragTimes = new Dictionary<string, DateTimeOffset> { ["58c5ca207a343b90"] = Noon.AddMinutes(-3), ["6daad08de91cf026"] = Noon.AddMinutes(-2) },
        LastDefragTime = Noon.AddMinutes(-2),
        LastDefragReclaimedBytes = 47_700_000,
        UnfinishedDefrag = new DefragStart("ceafd45e1e597dc0", "m3", Noon.AddMinutes(-1), Noon.AddSeconds(-30)),
    };

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    [Fact]
    public void TheFullState_SetsEveryField()
    {
        var fields = typeof(HygieneState).GetProperties().Where(p => p.CanWrite).ToList();
        var unset = fields.Where(p => IsDefault(p.GetValue(Full))).Select(p => p.Name).ToList();

        // A new kept-state field: set it in Full, map it in KeptStateStatus, count it below, and this passes.
        Assert.Empty(unset);
        // Positive control: the reflection sees the fields there are today.
        Assert.Equal(9, fields.Count);
        Assert.True(IsDefault(new HygieneState().Samples) && IsDefault(new HygieneState().ClusterId));
    }

    [Fact]
    public void EveryField_RoundTripsThroughStatus()
    {
        var status = KeptStateStatus.Write(new RegistryPolicyStatus(), Full, addMembers: true);

        var read = KeptStateStatus.Read(status);

        Assert.Equal(JsonSerializer.Serialize(Full, Json), JsonSerializer.Serialize(read, Json));
    }

    [Fact]
    public void EveryField_RoundTripsThroughTheStatusWireFormat()
    {
        var status = KeptStateStatus.Write(new RegistryPolicyStatus(), Full, addMembers: true);
        var wire = JsonSerializer.Deserialize<RegistryPolicyStatus>(JsonSerializer.Serialize(status, Json), Json);

        Assert.Equal(JsonSerializer.Serialize(Full, Json), JsonSerializer.Serialize(KeptStateStatus.Read(wire), Json));
    }

    [Fact]
    public void EveryField_RoundTripsThroughAStateFilesJson()
    {
        // What run's StateFiles writes and reads back (the same serializer defaults).
        var read = JsonSerializer.Deserialize<HygieneState>(JsonSerializer.Serialize(Full, Json), Json);

        Assert.Equal(JsonSerializer.Serialize(Full, Json), JsonSerializer.Serialize(read, Json));
        Assert.Equal(Full.PauseBegan(), read!.PauseBegan());
    }

    [Fact]
    public void AnEmptyStatus_IsAFreshState_AndAFreshStateWritesNothingBack()
    {
        Assert.Equal(JsonSerializer.Serialize(new HygieneState(), Json), JsonSerializer.Serialize(KeptStateStatus.Read(null), Json));
        Assert.Equal(JsonSerializer.Serialize(new HygieneState(), Json), JsonSerializer.Serialize(KeptStateStatus.Read(new RegistryPolicyStatus()), Json));
    }

    [Fact]
    public void AMemberNoLongerInTheCluster_IsNotAddedBackAfterACycle()
    {
        var status = new RegistryPolicyStatus { Members = [new MemberStatusEntry { Id = "58c5ca207a343b90" }] };

        KeptStateStatus.Write(status, Full, addMembers: false);

        Assert.Equal(["58c5ca207a343b90"], status.Members!.Select(m => m.Id));
        Assert.Equal(StatusTime.Write(Noon.AddMinutes(-3)), status.Members![0].LastDefragTime);
    }

    private static bool IsDefault(object? value) => value switch
    {
        null => true,
        ICollection { Count: 0 } => true,
        bool b => !b,
        long l => l == 0,
        _ => false,
    };
}
