using Microsoft.CodeAnalysis;
using TorchSpecs.Tests.Infrastructure;

namespace TorchSpecs.Tests.Generator;

/// <summary>The generator end to end on small in-memory specs.</summary>
public class GeneratorDriverTests
{
    private const string Tiny = """
        model: Tiny
        description: A tiny network
        input: 8x8x3
        layers:
          - { name: conv1, type: conv, kernel: 3, filters: 4, padding: 1, activation: relu, output: 8x8x4 }
          - { name: pool1, type: maxpool, kernel: 2, output: 4x4x4 }
          - { name: flatten, type: flatten, output: 64 }
          - { name: fc, type: dense, units: 10, activation: softmax, output: 10 }
        """;

    [Fact]
    public void ValidSpecGeneratesAModelThatCompilesWithoutDiagnostics()
    {
        var run = GeneratorHarness.Run(("specs/tiny.yaml", Tiny));

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompilationDiagnostics);
        Assert.Contains("TestModels.Tiny.g.cs", run.HintNames);
        Assert.Contains("TestModels.ModelCatalog.g.cs", run.HintNames);

        var source = run.GeneratedSource("Tiny.g.cs");
        Assert.Contains("public partial class Tiny : global::TorchSharp.torch.nn.Module<", source);
        Assert.Contains("public global::TorchSharp.Modules.Conv2d Conv1 { get; }", source);
        Assert.Contains("RegisterComponents();", source);
        Assert.Contains("/// A tiny network", source);
    }

    [Fact]
    public void WrongDocumentedOutputIsAnErrorAtThatRowsOutputValue()
    {
        string yaml = Tiny.Replace("output: 4x4x4", "output: 5x5x4");
        var run = GeneratorHarness.Run(("specs/tiny.yaml", yaml));

        var error = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("TS0101", error.Id);
        Assert.Equal(DiagnosticSeverity.Error, error.Severity);
        var span = error.Location.GetLineSpan();
        Assert.Equal("/project/specs/tiny.yaml", span.Path);
        Assert.Equal(5, span.StartLinePosition.Line);          // zero-based: the pool1 row is line 6
        Assert.Equal(yaml.Split('\n')[5].IndexOf("5x5x4", StringComparison.Ordinal), span.StartLinePosition.Character);
        Assert.Equal("pool1 output is 4x4x4 but the table says 5x5x4: floor((8 + 0 - 2)/2) + 1 = 4", error.GetMessage());
        Assert.DoesNotContain(run.HintNames, h => h.EndsWith("Tiny.g.cs", StringComparison.Ordinal));
    }

    [Fact]
    public void PaperSlip224Versus227GetsAHint()
    {
        const string yaml = """
            model: Paper
            input: 224x224x3
            layers:
              - { name: conv1, type: conv, kernel: 11, filters: 96, stride: 4, output: 55x55x96 }
            """;
        var error = Assert.Single(GeneratorHarness.Run(("specs/paper.yaml", yaml)).GeneratorDiagnostics);
        Assert.Equal("TS0101", error.Id);
        Assert.Equal(
            "conv1 output is 54x54x96 but the table says 55x55x96: floor((224 + 0 - 11)/4) + 1 = 54. " +
            "An input of 227 would give 55 (the AlexNet paper's 224 is a known slip for 227): declare that input size or add a zeropad row of 3 before conv1",
            error.GetMessage());
    }

    [Fact]
    public void OneWrongRowGivesOneDiagnosticAndTheRestIsStillChecked()
    {
        const string yaml = """
            model: TwoMistakes
            input: 32x32x3
            layers:
              - { name: conv1, type: conv, kernel: 5, filters: 8, output: 32x32x8 }
              - { name: conv2, type: conv, kernel: 3, filters: 8, padding: 1, output: 32x32x8 }
              - { name: pool, type: maxpool, kernel: 2, output: 15x15x8 }
            """;
        var errors = GeneratorHarness.Run(("specs/two.yaml", yaml)).GeneratorDiagnostics;
        Assert.Equal(new[] { ("TS0101", 3), ("TS0101", 5) },
            errors.Select(e => (e.Id, e.Location.GetLineSpan().StartLinePosition.Line)).ToArray());
    }
}
