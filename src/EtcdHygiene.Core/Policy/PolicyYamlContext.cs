using EtcdHygiene.Core.Api;
using YamlDotNet.Serialization;

namespace EtcdHygiene.Core.Policy;

/// <summary>
/// The types a policy file is read into, for YamlDotNet's static generator: it writes their
/// construction and property setters at build time, as Native AOT needs (no reflection at run time).
/// A type missing here fails the read of a file that uses it, which the policy file tests exercise.
/// </summary>
[YamlStaticContext]
[YamlSerializable(typeof(PolicyFile.FileManifest))]
[YamlSerializable(typeof(RegistryPolicySpec))]
[YamlSerializable(typeof(EtcdSpec))]
[YamlSerializable(typeof(SecretReference))]
[YamlSerializable(typeof(CompactionSpec))]
[YamlSerializable(typeof(DefragmentationSpec))]
[YamlSerializable(typeof(DefragRuleSpec))]
[YamlSerializable(typeof(AlarmsSpec))]
[YamlSerializable(typeof(AnalysisSpec))]
public partial class PolicyYamlContext : StaticContext;
