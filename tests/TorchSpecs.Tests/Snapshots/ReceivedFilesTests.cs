using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace TorchSpecs.Tests.Snapshots;

/// <summary>No <c>.received.txt</c> is ever committed (.ci/run checks the same before it reports).</summary>
public class ReceivedFilesTests
{
    [Fact]
    public void ReceivedFilesAreIgnoredAndNoneIsTracked()
    {
        string root = RepositoryRoot();
        Assert.Contains("*.received.txt", File.ReadAllLines(Path.Combine(root, ".gitignore")).Select(l => l.Trim()));
        Assert.Equal("", Git(root, "ls-files", "--", "*.received.txt"));
        Assert.Equal("tests/TorchSpecs.Tests/Snapshots/X.received.txt\n",
            Git(root, "check-ignore", "--no-index", "tests/TorchSpecs.Tests/Snapshots/X.received.txt"));
    }

    private static string Git(string directory, params string[] args)
    {
        var start = new ProcessStartInfo("git") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        using var git = Process.Start(start)!;
        string output = git.StandardOutput.ReadToEnd();
        git.WaitForExit();
        return output;
    }

    private static string RepositoryRoot([CallerFilePath] string path = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(path)!, "..", "..", ".."));
}
