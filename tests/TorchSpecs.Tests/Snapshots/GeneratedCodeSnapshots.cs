using System.Runtime.CompilerServices;
using TorchSpecs.Tests.Infrastructure;

namespace TorchSpecs.Tests.Snapshots;

/// <summary>
/// The C# the generator writes for three representative seed specs, held against committed
/// snapshots, so that a generator change (or a change of these specs) is reviewed as a diff of
/// generated code. The specs are read from specs/seeds/ and run through <see cref="GeneratorHarness"/>.
/// </summary>
public class GeneratedCodeSnapshots
{
    /// <summary>
    /// Batch norm with spec-wide defaults and truncated-normal inits (AlexNetKerasBN); zero
    /// padding, TensorFlow LRN, separate activation rows and convs without activation
    /// (AlexNetFlowers102); PyTorch LRN and per-row initializers (AlexNetTorchLrn).
    /// </summary>
    public static TheoryData<string, string> Specs() => new()
    {
        { "AlexNetKerasBN", "seeds/alexnet-keras-bn.yaml" },
        { "AlexNetFlowers102", "seeds/alexnet-flowers102.yaml" },
        { "AlexNetTorchLrn", "seeds/alexnet-torch-lrn.yaml" },
    };

    [Theory]
    [MemberData(nameof(Specs))]
    public void GeneratedModel(string model, string spec)
    {
        string yaml = File.ReadAllText(Path.Combine(RepositoryRoot(), "specs", spec));
        var run = GeneratorHarness.Run((spec, yaml));

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompilationDiagnostics);
        Snapshot.Verify(run.GeneratedSource($".{model}.g.cs"), model);
    }

    private static string RepositoryRoot([CallerFilePath] string path = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(path)!, "..", "..", ".."));
}
