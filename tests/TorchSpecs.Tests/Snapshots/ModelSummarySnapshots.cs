using System.Runtime.CompilerServices;
using TorchSpecs.Models;

namespace TorchSpecs.Tests.Snapshots;

/// <summary>
/// Every model's Keras-style summary, held against its committed snapshot, so that a model
/// change is reviewed as a diff of its summary. The models come from <see cref="ModelCatalog.All"/>:
/// a new spec gets a snapshot test by itself (and fails until its snapshot is accepted).
/// </summary>
public class ModelSummarySnapshots
{
    private const string Prefix = nameof(ModelSummarySnapshots) + "." + nameof(KerasSummary) + "_";

    public static TheoryData<string> Models() => new(ModelCatalog.All.Select(m => m.Name));

    [Theory]
    [MemberData(nameof(Models))]
    public void KerasSummary(string model)
    {
        var info = ModelCatalog.All.Single(m => m.Name == model);
        Snapshot.Verify(ModelSummary.Format(info), model);
    }

    [Fact]
    public void EverySummarySnapshotBelongsToAModel()
    {
        var orphans = Directory.GetFiles(SourceDirectory(), Prefix + "*.verified.txt")
            .Select(f => Path.GetFileName(f)[Prefix.Length..^".verified.txt".Length])
            .Where(name => ModelCatalog.All.All(m => m.Name != name))
            .ToList();
        Assert.True(orphans.Count == 0, $"summary snapshots of models that no longer exist (delete them): {string.Join(", ", orphans)}");
    }

    private static string SourceDirectory([CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;
}
