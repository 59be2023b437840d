using System.Runtime.CompilerServices;
using System.Text;
using DiffPlex.Renderer;
using Xunit.Sdk;

namespace TorchSpecs.Tests.Snapshots;

/// <summary>What happened when a text was held against its snapshot.</summary>
public enum SnapshotOutcome { Matched, Differs, Missing }

/// <summary>The result of <see cref="Snapshot.Compare"/>: the outcome and, unless matched, the failure message.</summary>
public sealed record SnapshotResult(SnapshotOutcome Outcome, string VerifiedPath, string ReceivedPath, string Message);

/// <summary>
/// Snapshot testing with Verify's conventions (Verify itself cannot be restored here).
/// <list type="bullet">
/// <item><c>&lt;Type&gt;.&lt;Method&gt;[_&lt;parameter&gt;].verified.txt</c> is committed beside the test's source file
/// (found with <see cref="CallerFilePathAttribute"/>, so it lands in the source tree, not in bin/).</item>
/// <item>When the text differs, the test writes <c>.received.txt</c> beside it (git-ignored) and fails
/// with a unified diff, verified → received.</item>
/// <item>When <c>.verified.txt</c> is missing, the test fails; locally it writes the text as
/// <c>.received.txt</c>, in CI (<c>CI=true</c>) it writes nothing.</item>
/// <item>Accepting is moving received over verified: <c>scripts/accept-snapshots</c>.</item>
/// <item>Line endings are normalized to \n, trailing spaces and blank lines at the end are dropped,
/// on both sides, before comparing and when writing.</item>
/// </list>
/// </summary>
public static class Snapshot
{
    public const string AcceptCommand = "scripts/accept-snapshots";

    /// <summary>True when running in CI: the <c>CI</c> environment variable is <c>true</c> or <c>1</c>.</summary>
    public static bool IsCi =>
        Environment.GetEnvironmentVariable("CI") is { } ci && (ci.Equals("true", StringComparison.OrdinalIgnoreCase) || ci == "1");

    /// <summary>
    /// Holds <paramref name="actual"/> against <c>&lt;Type&gt;.&lt;Method&gt;[_&lt;parameter&gt;].verified.txt</c>
    /// beside the calling test's source file, where Type is the source file's name.
    /// </summary>
    public static void Verify(string actual, string? parameter = null,
        [CallerFilePath] string sourceFile = "", [CallerMemberName] string method = "")
    {
        string type = Path.GetFileNameWithoutExtension(sourceFile);
        string name = parameter is null ? $"{type}.{method}" : $"{type}.{method}_{parameter}";
        var result = Compare(Path.GetDirectoryName(sourceFile)!, name, actual, IsCi);
        if (result.Outcome != SnapshotOutcome.Matched) throw new XunitException(result.Message);
    }

    /// <summary>The snapshot logic, without the test framework: compares, writes or deletes the received file, explains.</summary>
    public static SnapshotResult Compare(string directory, string name, string actual, bool ci)
    {
        string verifiedPath = Path.Combine(directory, name + ".verified.txt");
        string receivedPath = Path.Combine(directory, name + ".received.txt");
        string received = Normalize(actual);

        if (!File.Exists(verifiedPath))
        {
            if (ci)
                return new SnapshotResult(SnapshotOutcome.Missing, verifiedPath, receivedPath,
                    $"No snapshot {name}.verified.txt in {directory}. Snapshots are never created in CI (CI=true): "
                    + $"run the tests locally, review the .received.txt they write and accept it with {AcceptCommand}.");
            WriteReceived(receivedPath, received);
            return new SnapshotResult(SnapshotOutcome.Missing, verifiedPath, receivedPath,
                $"New snapshot: {name}.verified.txt does not exist yet. Wrote {receivedPath}:\n\n"
                + Diff("", received, name) + $"\nReview it and accept it with {AcceptCommand}.");
        }

        string verified = Normalize(File.ReadAllText(verifiedPath));
        if (verified == received)
        {
            if (File.Exists(receivedPath)) File.Delete(receivedPath);
            return new SnapshotResult(SnapshotOutcome.Matched, verifiedPath, receivedPath, "");
        }

        WriteReceived(receivedPath, received);
        return new SnapshotResult(SnapshotOutcome.Differs, verifiedPath, receivedPath,
            $"{name} differs from its snapshot. Wrote {receivedPath}.\n\n"
            + Diff(verified, received, name)
            + $"\nIf the change is intended, accept it with {AcceptCommand} (it moves every .received.txt over its .verified.txt).");
    }

    /// <summary>A unified diff of two normalized texts, verified (-) to received (+), with two lines of context.</summary>
    public static string Diff(string verified, string received, string name) =>
        Diff(verified, received, name + ".verified.txt", name + ".received.txt");

    /// <summary>A unified diff of two texts (normalized first), old (-) to new (+), with two lines of context.</summary>
    public static string Diff(string oldText, string newText, string oldLabel, string newLabel)
    {
        string diff = UnidiffRenderer.GenerateUnidiff(Normalize(oldText), Normalize(newText), oldLabel, newLabel,
            ignoreWhitespace: false, ignoreCase: false, contextLines: 2);
        return Normalize(diff);
    }

    /// <summary>\n line endings, no trailing spaces, exactly one \n at the end (none for empty text).</summary>
    public static string Normalize(string text)
    {
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n').Split('\n')
            .Select(l => l.TrimEnd(' ', '\t'))
            .ToList();
        while (lines.Count > 0 && lines[^1].Length == 0) lines.RemoveAt(lines.Count - 1);
        return lines.Count == 0 ? "" : string.Join("\n", lines) + "\n";
    }

    private static void WriteReceived(string path, string text) => File.WriteAllText(path, text, new UTF8Encoding(false));
}
