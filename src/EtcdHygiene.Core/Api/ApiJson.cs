using System.Text.Json.Serialization;
using EtcdHygiene.Core.Planning;

namespace EtcdHygiene.Core.Api;

/// <summary>
/// Source-generated JSON metadata of the API types (spec, status) and of the kept state: Native AOT
/// has no reflection-based serializer. Callers choose the options (Web defaults for status and state
/// files) and take the metadata through them, as <c>StatusPatcher</c> and the CRD's schema builder do.
/// </summary>
[JsonSerializable(typeof(RegistryPolicySpec))]
[JsonSerializable(typeof(RegistryPolicyStatus))]
[JsonSerializable(typeof(HygieneState))]
public sealed partial class ApiJson : JsonSerializerContext;
