using Microsoft.CodeAnalysis;
using TorchSpecs.Tests.Infrastructure;

namespace TorchSpecs.Tests.Family;

/// <summary>Misuse of base:, row edits and the batchnorm rule: one diagnostic each, at the YAML line that causes it.</summary>
public class FamilyDiagnosticsTests
{
    internal const string Base = """
        model: Small
        input: 8x8x3
        layers:
          - { name: conv1, type: conv, kernel: 3, filters: 4, padding: 1, activation: relu, output: 8x8x4 }
          - { name: pool1, type: maxpool, kernel: 2, output: 4x4x4 }
          - { name: flatten, type: flatten, output: 64 }
          - { name: fc, type: dense, units: 10, output: 10 }
        """;

    private static (int Line, int Column) Position(Diagnostic d)
    {
        var span = d.Location.GetLineSpan();
        return (span.StartLinePosition.Line, span.StartLinePosition.Character);
    }

    private static (int Line, int Column) Find(string yaml, string text, int occurrence = 0)
    {
        var lines = yaml.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            int at = lines[i].IndexOf(text, StringComparison.Ordinal);
            if (at >= 0 && occurrence-- == 0) return (i, at);
        }
        throw new InvalidOperationException($"'{text}' not in the YAML");
    }

    private static Diagnostic Only(GeneratorRun run, string path)
    {
        var inFile = run.GeneratorDiagnostics.Where(d => d.Location.GetLineSpan().Path == GeneratorHarness.Absolute(path)).ToList();
        Assert.True(inFile.Count == 1, "expected one diagnostic in " + path + ", got: " + string.Join("; ", run.GeneratorDiagnostics.Select(d => $"{d.Location.GetLineSpan()}: {d.Id} {d.GetMessage()}")));
        return inFile[0];
    }

    [Fact]
    public void UnknownBaseIsTS0013AtTheBaseValueWithTheNearestName()
    {
        const string derived = """
            model: Derived
            base: Smal
            layers:
              - { name: conv1, filters: 8, output: 8x8x8 }
            """;
        var run = GeneratorHarness.Run(("specs/small.yaml", Base), ("specs/derived.yaml", derived));
        var error = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("TS0013", error.Id);
        Assert.Equal(DiagnosticSeverity.Error, error.Severity);
        Assert.Equal("/project/specs/derived.yaml", error.Location.GetLineSpan().Path);
        Assert.Equal(Find(derived, "Smal"), Position(error));
        Assert.Equal("No spec in this project defines model 'Smal' (did you mean 'Small'?); base: names the model of another spec", error.GetMessage());
        Assert.Contains("TestModels.Small.g.cs", run.HintNames);
        Assert.DoesNotContain("TestModels.Derived.g.cs", run.HintNames);
    }

    [Fact]
    public void BaseCycleIsTS0014AtEverySpecOfTheCycle()
    {
        const string a = """
            model: A
            base: B
            layers:
              - { name: conv1, filters: 8 }
            """;
        const string b = """
            model: B
            base: A
            layers:
              - { name: conv1, filters: 4 }
            """;
        var run = GeneratorHarness.Run(("specs/a.yaml", a), ("specs/b.yaml", b), ("specs/small.yaml", Base));
        var errorA = Only(run, "specs/a.yaml");
        var errorB = Only(run, "specs/b.yaml");
        Assert.Equal(("TS0014", Find(a, "B")), (errorA.Id, Position(errorA)));
        Assert.Equal(("TS0014", Find(b, "A")), (errorB.Id, Position(errorB)));
        Assert.Equal("Model 'A' is built on itself: A → B → A; one spec of the cycle must write its table out", errorA.GetMessage());
        Assert.Equal(2, run.GeneratorDiagnostics.Length);
    }

    [Fact]
    public void ASpecThatIsItsOwnBaseIsACycle()
    {
        const string self = """
            model: Self
            base: Self
            """;
        var error = Assert.Single(GeneratorHarness.Run(("specs/self.yaml", self)).GeneratorDiagnostics);
        Assert.Equal("TS0014", error.Id);
        Assert.Equal(Find(self, "Self", 1), Position(error));
        Assert.Contains("Self → Self", error.GetMessage());
    }

    [Theory]
    [InlineData("  - { name: conv2, filters: 8 }", "conv2", "There is no row 'conv2' in the table of Small to change (did you mean 'conv1'?); to add a row, say where it goes with after: <row> or before: <row>")]
    [InlineData("  - { name: drop, remove: true }", "drop", "There is no row 'drop' in the table of Small to remove")]
    [InlineData("  - { after: pool2, name: bn, type: batchnorm }", "pool2", "There is no row 'pool2' in the table of Small to insert a row after (did you mean 'pool1'?)")]
    [InlineData("  - { before: fc1, name: drop, type: dropout, rate: 0.5 }", "fc1", "There is no row 'fc1' in the table of Small to insert a row before (did you mean 'fc'?)")]
    public void EditingARowTheBaseDoesNotHaveIsTS0015AtThatName(string row, string at, string message)
    {
        string derived = "model: Derived\nbase: Small\nlayers:\n" + row + "\n";
        var run = GeneratorHarness.Run(("specs/small.yaml", Base), ("specs/derived.yaml", derived));
        var error = Only(run, "specs/derived.yaml");
        Assert.Equal("TS0015", error.Id);
        Assert.Equal(Find(derived, at), Position(error));
        Assert.Equal(message, error.GetMessage());
        Assert.Single(run.GeneratorDiagnostics);
    }

    [Fact]
    public void ABaseWithErrorsIsTS0016AtTheBaseLineAndTheErrorStaysInTheBase()
    {
        string broken = Base.Replace("output: 4x4x4", "output: 5x5x4");
        const string derived = """
            model: Derived
            base: Small
            layers:
              - { name: fc, units: 2, output: 2 }
            """;
        var run = GeneratorHarness.Run(("specs/small.yaml", broken), ("specs/derived.yaml", derived));
        var baseError = Only(run, "specs/small.yaml");
        Assert.Equal(("TS0101", Find(broken, "5x5x4")), (baseError.Id, Position(baseError)));
        var error = Only(run, "specs/derived.yaml");
        Assert.Equal(("TS0016", Find(derived, "Small")), (error.Id, Position(error)));
        Assert.Equal("Base model 'Small' has errors (in small.yaml); fix them there first", error.GetMessage());
    }

    [Fact]
    public void ABaseWithAYamlErrorIsTS0016ForTheDerivedSpec()
    {
        string broken = Base.Replace("name: fc,", "name: fc, name: fc2,");
        const string derived = "model: Derived\nbase: Small\n";
        var run = GeneratorHarness.Run(("specs/small.yaml", broken), ("specs/derived.yaml", derived));
        Assert.Equal("TS0002", Only(run, "specs/small.yaml").Id);
        Assert.Equal("TS0016", Only(run, "specs/derived.yaml").Id);
    }

    [Fact]
    public void InheritedRowsFollowAnInsertedRowInsteadOfTheBasesDocumentedOutputs()
    {
        // A second pool halves the map: the inherited flatten row's documented 64 is the base's
        // document, so it is re-inferred (16), not checked, and fc follows it.
        const string derived = """
            model: Derived
            base: Small
            layers:
              - { after: pool1, name: pool2, type: maxpool, kernel: 2, output: 2x2x4 }
            """;
        var run = GeneratorHarness.Run(("specs/small.yaml", Base), ("specs/derived.yaml", derived));
        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompilationDiagnostics);
        string source = run.GeneratedSource(".Derived.g.cs");
        Assert.Contains("new(\"flatten\", \"Flatten\", global::TorchSpecs.LayerKind.Flatten, Input: new global::TorchSpecs.TensorShape(2, 2, 4), Output: global::TorchSpecs.TensorShape.Flat(16)", source, StringComparison.Ordinal);
        Assert.Contains("TrainableParams: 170,", source, StringComparison.Ordinal);
    }

    [Fact]
    public void ANewInputNeedsNoRestatedOutputsButRowsTheDerivedSpecStatesAreChecked()
    {
        // 16x16 input: every inherited row follows; the restated fc output is checked, and both
        // wrong rows the spec states are reported in one build.
        const string derived = """
            model: Derived
            base: Small
            input: 16x16x3
            layers:
              - { name: pool1, kernel: 2, output: 7x7x4 }
              - { name: fc, units: 10, output: 12 }
            """;
        var run = GeneratorHarness.Run(("specs/small.yaml", Base), ("specs/derived.yaml", derived));
        var errors = run.GeneratorDiagnostics.OrderBy(d => d.Location.GetLineSpan().StartLinePosition.Line).ToList();
        Assert.Equal(new[] { "TS0101", "TS0101" }, errors.Select(e => e.Id));
        Assert.Equal(Find(derived, "7x7x4"), Position(errors[0]));
        Assert.Equal("pool1 output is 8x8x4 but the table says 7x7x4: floor((16 + 0 - 2)/2) + 1 = 8", errors[0].GetMessage());
        Assert.Equal(Find(derived, "12"), Position(errors[1]));
        Assert.Equal("fc output is 10 but the table says 12: units = 10", errors[1].GetMessage());

        var fixedRun = GeneratorHarness.Run(("specs/small.yaml", Base), ("specs/derived.yaml", "model: Derived\nbase: Small\ninput: 16x16x3\n"));
        Assert.Empty(fixedRun.GeneratorDiagnostics);
        Assert.Contains("Output: global::TorchSpecs.TensorShape.Flat(256)", fixedRun.GeneratedSource(".Derived.g.cs"), StringComparison.Ordinal);
    }

    [Theory]
    // Only the new input comes before pool1: the error is at the input.
    [InlineData("model: Derived\nbase: Small\ninput: 1x1x3\n", "1x1x3")]
    // conv1, changed here (stride 4), comes before pool1: the input alone is not to blame, the error is at base:.
    [InlineData("model: Derived\nbase: Small\ninput: 4x4x3\nlayers:\n  - { name: conv1, stride: 4 }\n", "Small")]
    public void AnInheritedRowThatCannotWorkAfterTheSpecsChangesIsAnErrorThatSaysItIsInherited(string derived, string at)
    {
        var run = GeneratorHarness.Run(("specs/small.yaml", Base), ("specs/derived.yaml", derived));
        var error = Only(run, "specs/derived.yaml");
        Assert.Equal("TS0102", error.Id);
        Assert.Equal(Find(derived, at), Position(error));
        Assert.Equal("pool1 (inherited from Small) output would be 0x0: the 2 pool is larger than its padded 1x1 input (floor((1 + 0 - 2)/2) + 1 = 0); use a smaller kernel or stride, more padding, or a larger input",
            error.GetMessage());
    }

    [Fact]
    public void AnInsertedRowWithTheNameOfABaseRowIsTS0010AtItsName()
    {
        const string derived = """
            model: Derived
            base: Small
            layers:
              - { after: conv1, name: pool1, type: maxpool, kernel: 2, output: 4x4x4 }
            """;
        var run = GeneratorHarness.Run(("specs/small.yaml", Base), ("specs/derived.yaml", derived));
        var error = Only(run, "specs/derived.yaml");
        Assert.Equal(("TS0010", Find(derived, "pool1", 0)), (error.Id, Position(error)));
        Assert.StartsWith("Layer name 'pool1' is already used by row 2 of the table it builds on", error.GetMessage());
    }

    [Fact]
    public void AfterAndBeforeTogetherIsTS0012()
    {
        const string derived = """
            model: Derived
            base: Small
            layers:
              - { after: conv1, before: pool1, name: bn, type: batchnorm }
            """;
        var error = Only(GeneratorHarness.Run(("specs/small.yaml", Base), ("specs/derived.yaml", derived)), "specs/derived.yaml");
        Assert.Equal(("TS0012", Find(derived, "pool1")), (error.Id, Position(error)));
    }

    [Fact]
    public void AnUnknownKeyInAnOverrideIsTS0004AtTheDerivedSpecsKey()
    {
        const string derived = """
            model: Derived
            base: Small
            layers:
              - { name: conv1, filtres: 8 }
            """;
        var error = Only(GeneratorHarness.Run(("specs/small.yaml", Base), ("specs/derived.yaml", derived)), "specs/derived.yaml");
        Assert.Equal(("TS0004", Find(derived, "filtres")), (error.Id, Position(error)));
        Assert.Contains("did you mean 'filters'?", error.GetMessage());
    }

    [Fact]
    public void AnUnknownBatchNormRuleIsTS0003AtItsValue()
    {
        const string derived = """
            model: Derived
            base: Small
            batchnorm: after_convs
            """;
        var error = Only(GeneratorHarness.Run(("specs/small.yaml", Base), ("specs/derived.yaml", derived)), "specs/derived.yaml");
        Assert.Equal(("TS0003", Find(derived, "after_convs")), (error.Id, Position(error)));
        Assert.Contains("(did you mean 'after_conv'?)", error.GetMessage());
    }

    [Fact]
    public void AnEditKeyInASpecWithoutBaseIsAnUnknownKey()
    {
        string plain = Base.Replace("{ name: pool1,", "{ after: conv1, name: pool1,");
        var error = Assert.Single(GeneratorHarness.Run(("specs/small.yaml", plain)).GeneratorDiagnostics);
        Assert.Equal(("TS0004", Find(plain, "after")), (error.Id, Position(error)));
    }
}
