namespace TorchSpecs.Tests.Snapshots;

/// <summary>The snapshot helper's conventions, in a scratch directory.</summary>
public sealed class SnapshotTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("torchspecs-snapshot-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string Verified => Path.Combine(_directory, "T.M.verified.txt");
    private string Received => Path.Combine(_directory, "T.M.received.txt");

    [Fact]
    public void MatchingTextPassesAndRemovesAStaleReceivedFile()
    {
        File.WriteAllText(Verified, "a\nb\n");
        File.WriteAllText(Received, "old");
        var result = Snapshot.Compare(_directory, "T.M", "a\nb\n", ci: false);
        Assert.Equal(SnapshotOutcome.Matched, result.Outcome);
        Assert.False(File.Exists(Received));
    }

    [Fact]
    public void LineEndingsAndTrailingSpacesAreNormalized()
    {
        File.WriteAllText(Verified, "a  \r\nb\t\r\n\r\n");
        Assert.Equal(SnapshotOutcome.Matched, Snapshot.Compare(_directory, "T.M", "a\nb", ci: false).Outcome);
        Assert.Equal(SnapshotOutcome.Matched, Snapshot.Compare(_directory, "T.M", "a\rb\n\n\n", ci: true).Outcome);
    }

    [Fact]
    public void ADifferenceWritesReceivedAndFailsWithAUnifiedDiffOfTheChangedLinesOnly()
    {
        var lines = Enumerable.Range(1, 20).Select(i => $"row {i}").ToList();
        File.WriteAllText(Verified, string.Join("\n", lines) + "\n");
        lines[9] = "row 10 changed";
        var result = Snapshot.Compare(_directory, "T.M", string.Join("\r\n", lines) + "  \r\n", ci: false);

        Assert.Equal(SnapshotOutcome.Differs, result.Outcome);
        Assert.Equal(string.Join("\n", lines) + "\n", File.ReadAllText(Received));
        Assert.Contains("--- T.M.verified.txt", result.Message);
        Assert.Contains("+++ T.M.received.txt", result.Message);
        var changed = result.Message.Split('\n').Where(l => (l.StartsWith('-') || l.StartsWith('+')) && !l.StartsWith("---") && !l.StartsWith("+++")).ToArray();
        Assert.Equal(new[] { "-row 10", "+row 10 changed" }, changed);
        Assert.Contains(" row 9", result.Message);          // context
        Assert.DoesNotContain(" row 5\n", result.Message);  // only two lines of context
        Assert.Contains(Snapshot.AcceptCommand, result.Message);
    }

    [Fact]
    public void AMissingSnapshotIsWrittenAsReceivedLocally()
    {
        var result = Snapshot.Compare(_directory, "T.M", "new\n", ci: false);
        Assert.Equal(SnapshotOutcome.Missing, result.Outcome);
        Assert.Equal("new\n", File.ReadAllText(Received));
        Assert.False(File.Exists(Verified));
        Assert.Contains("+new", result.Message);
    }

    [Fact]
    public void AMissingSnapshotFailsInCiAndWritesNothing()
    {
        var result = Snapshot.Compare(_directory, "T.M", "new\n", ci: true);
        Assert.Equal(SnapshotOutcome.Missing, result.Outcome);
        Assert.Empty(Directory.GetFiles(_directory));
        Assert.Contains("never created in CI", result.Message);
    }
}
