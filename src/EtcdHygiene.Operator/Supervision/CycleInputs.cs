using EtcdHygiene.Etcd;

namespace EtcdHygiene.Operator.Supervision;

/// <summary>What a front end gives one cycle: the connection (its Secrets read again), where the state lives, how findings are told.</summary>
/// <param name="Connection">How to reach etcd for this cycle.</param>
/// <param name="Store">The policy's kept state.</param>
/// <param name="Announcer">Where the cycle's findings go.</param>
public sealed record CycleInputs(EtcdConnectionOptions Connection, IPolicyStateStore Store, IFindingsAnnouncer Announcer);
