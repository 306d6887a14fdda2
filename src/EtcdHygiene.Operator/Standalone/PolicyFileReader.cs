using EtcdHygiene.Core.Policy;

namespace EtcdHygiene.Operator.Standalone;

/// <summary>
/// Reads a policy file for <c>run</c>, <c>check</c> and <c>analyze</c>; the core only parses and
/// validates text (<see cref="PolicyFile.Parse"/>) and reads no file.
/// </summary>
public static class PolicyFileReader
{
    /// <summary>Loads and validates a policy file; a <see cref="PolicyFileException"/> names the file.</summary>
    public static HygienePolicy Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new PolicyFileException($"{path}: cannot read the policy file: {e.Message}");
        }
        return PolicyFile.Parse(text, path);
    }
}
