using YamlDotNet.Serialization;

namespace EtcdHygiene.Operator.Controller.Tenancy;

/// <summary>
/// The types a tenancy file is read into, for YamlDotNet's static generator (no reflection at run
/// time, as Native AOT needs). A type missing here fails the read of every file; TenancyTests read them.
/// </summary>
[YamlStaticContext]
[YamlSerializable(typeof(TenancyFile.Document))]
[YamlSerializable(typeof(TenancyFile.Rule))]
public partial class TenancyYamlContext : StaticContext;
