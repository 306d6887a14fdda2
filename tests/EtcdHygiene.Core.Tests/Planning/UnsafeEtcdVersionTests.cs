using EtcdHygiene.Core.Observation;
using EtcdHygiene.Core.Planning;
using EtcdHygiene.Core.Policy;
using Microsoft.Extensions.Time.Testing;
using static EtcdHygiene.Core.Tests.Planning.Given;

namespace EtcdHygiene.Core.Tests.Planning;

/// <summary>
/// The version gate: a member whose etcd has the unsafe-online-defragmentation defect (before
/// 3.4.22, 3.5.0 to 3.5.5) is not defragmented, with a warning naming the version, the fixed
/// versions and the override; the override and fixed versions defragment as usual.
/// </summary>
public sealed class UnsafeEtcdVersionTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 29, 12, 0, 0, TimeSpan.Zero));

    private HygienePlan Plan(ClusterSnapshot snapshot, bool allowUnsafe = false) =>
        HygienePlanner.Plan(PolicyWith(p => p with
        {
            Compaction = p.Compaction with { Mode = CompactionMode.Disabled },
            Defragmentation = p.Defragmentation with { AllowUnsafeEtcdVersions = allowUnsafe },
        }), snapshot, new HygieneState(), new CycleProgress(), _time);

    private static MemberSnapshot Running(MemberSnapshot member, string version) => member with { Status = member.Status! with { Version = version } };

    [Theory]
    [InlineData("3.3.27", true)]
    [InlineData("3.4.0", true)]
    [InlineData("3.4.21", true)]
    [InlineData("3.4.22", false)]
    [InlineData("3.4.23", false)]
    [InlineData("3.5.0-rc.1", true)]
    [InlineData("3.5.5", true)]
    [InlineData("3.5.6", false)]
    [InlineData("3.5.30", false)]
    [InlineData("3.6.0", false)]
    [InlineData("4.0.0", false)]
    [InlineData("not a version", null)]
    public void WhichVersionsHaveTheDefect(string version, bool? affected) =>
        Assert.Equal(affected, OnlineDefragSafety.IsAffected(version));

    [Fact]
    public void AnAffectedMember_IsNotDefragmented_AndTheWarningNamesTheVersionTheFixAndTheOverride()
    {
        var snapshot = Cluster(Member(1, 1, 500, 100), Running(Member(2, 1, 500, 100), "3.5.4"), Member(3, 1, 500, 100));

        var plan = Plan(snapshot);

        Assert.DoesNotContain(plan.Steps, s => s.MemberName == "m2" && s.Kind == StepKind.Defragment);
        Assert.Contains(plan.Steps, s => s.MemberName == "m3" && s.Kind == StepKind.Defragment);
        var warning = Assert.Single(plan.Notes, n => n.Code == NoteCode.UnsafeEtcdVersion);
        Assert.Equal(NoteSeverity.Warning, warning.Severity);
        Assert.Contains("m2 (etcd 3.5.4)", warning.Message);
        Assert.Contains("3.4.22 and 3.5.6", warning.Message);
        Assert.Contains("spec.defragmentation.allowUnsafeEtcdVersions", warning.Message);
    }

    [Fact]
    public void TheOverride_DefragmentsAffectedMembers()
    {
        var snapshot = Cluster(Running(Member(1, 1, 500, 100), "3.4.21"), Running(Member(2, 1, 500, 100), "3.4.21"), Running(Member(3, 1, 500, 100), "3.4.21"));

        var plan = Plan(snapshot, allowUnsafe: true);

        Assert.Contains(plan.Steps, s => s.MemberName == "m2" && s.Kind == StepKind.Defragment);
        Assert.Contains(plan.Steps, s => s.MemberName == "m1" && s.Kind == StepKind.Defragment);
        Assert.DoesNotContain(plan.Notes, n => n.Code == NoteCode.UnsafeEtcdVersion);
    }

    [Fact]
    public void AtNoSpace_AnAffectedMemberIsNotDefragmentedEither()
    {
        var snapshot = Cluster(Running(Member(1, 1, 2048, 1000), "3.5.2"), Running(Member(2, 1, 2048, 1000), "3.5.2"), Running(Member(3, 1, 2048, 1000), "3.5.2"))
            .WithNoSpace();

        var plan = Plan(snapshot);

        Assert.DoesNotContain(plan.Steps, s => s.Kind == StepKind.Defragment);
        Assert.Contains(plan.Notes, n => n.Code == NoteCode.UnsafeEtcdVersion);
    }
}
