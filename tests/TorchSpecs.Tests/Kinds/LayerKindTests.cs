using System.Globalization;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using TorchSpecs.Generator.Kinds;
using TorchSpecs.Tests.Infrastructure;
using TorchSpecs.Tests.Snapshots;
using TorchSpecs.Tests.TestModels;
using static TorchSharp.torch;
using GenKind = TorchSpecs.Generator.Model.LayerKind;

namespace TorchSpecs.Tests.Kinds;

/// <summary>
/// The layer kinds are defined once: the shared LayerKind file (runtime and generator), one
/// generator definition per kind. These tests hold the two together and pin what the emitted
/// code calls in the runtime and in TorchSharp.
/// </summary>
[Collection(SerialCollection.Name)]
public class LayerKindTests
{
    /// <summary>A spec with a row of every kind, in the forms that emit differently (pad modules, both LRN conventions, BatchNorm1d).</summary>
    public const string EveryKind = """
        model: EveryKind
        input: 17x17x3
        layers:
          - { name: resize, type: resize, size: 16x16, output: 16x16x3 }
          - { name: pad, type: zeropad, padding: [0, 1, 0, 1], output: 17x17x3 }
          - { name: conv1, type: conv, kernel: 3, filters: 4, stride: 2, padding: same, activation: relu, weight_init: he, bias_init: 0.1, output: 9x9x4 }
          - { name: conv2, type: conv, kernel: 3, filters: 4, groups: 2, padding: 1, weight_init: "truncated_normal(0, 0.01)", output: 9x9x4 }
          - { name: conv3, type: conv, kernel: 1, filters: 4, weight_init: "normal(0, 0.01)", output: 9x9x4 }
          - { name: conv4, type: conv, kernel: 1, filters: 4, weight_init: glorot, output: 9x9x4 }
          - { name: conv5, type: conv, kernel: 1, filters: 4, weight_init: zeros, bias: false, output: 9x9x4 }
          - { name: lrn1, type: lrn, size: 3, output: 9x9x4 }
          - { name: lrn2, type: lrn, depth_radius: 1, output: 9x9x4 }
          - { name: bn1, type: batchnorm, activation: relu, output: 9x9x4 }
          - { name: pool1, type: maxpool, kernel: 2, padding: same, output: 5x5x4 }
          - { name: pool2, type: avgpool, kernel: 3, stride: 1, padding: 1, ceil: true, output: 5x5x4 }
          - { name: act1, type: activation, activation: tanh, output: 5x5x4 }
          - { name: avgpool, type: adaptive_avgpool, size: 2x2, output: 2x2x4 }
          - { name: flatten, type: flatten, output: 16 }
          - { name: bn2, type: batchnorm, output: 16 }
          - { name: fc1, type: dense, units: 8, activation: sigmoid, output: 8 }
          - { name: drop1, type: dropout, rate: 0.5, output: 8 }
          - { name: fc2, type: dense, units: 2, output: 2 }
        """;

    [Fact]
    public void TheRuntimeAndTheGeneratorCompileTheSameLayerKindFile()
    {
        // One file linked into both assemblies: same members, same values, in the same order.
        Assert.Equal(Enum.GetNames<LayerKind>(), Enum.GetNames<GenKind>());
        Assert.Equal(Enum.GetValues<LayerKind>().Select(k => (int)k), Enum.GetValues<GenKind>().Select(k => (int)k));
        Assert.Equal(LayerKinds.All.Select(k => k.TypeName()), TorchSpecs.Generator.Model.LayerKinds.All.Select(k => TorchSpecs.Generator.Model.LayerKinds.TypeName(k)));
        Assert.Equal(Enum.GetValues<LayerKind>(), LayerKinds.All);
    }

    [Fact]
    public void EveryKindHasOneDefinitionWithItsOwnNamePrefixAndDocumentedKeys()
    {
        Assert.Equal(Enum.GetValues<GenKind>(), LayerDefinitions.All.Select(d => d.Kind));
        Assert.Equal(LayerDefinitions.All.Count, LayerDefinitions.All.Select(d => d.NamePrefix).Distinct().Count());
        foreach (var definition in LayerDefinitions.All)
        {
            Assert.False(string.IsNullOrWhiteSpace(definition.Description), definition.TypeName);
            Assert.StartsWith("{ name: ", definition.Example, StringComparison.Ordinal);
            Assert.Contains($"type: {definition.TypeName},", definition.Example, StringComparison.Ordinal);
            Assert.Equal(definition.Keys.Count, definition.Keys.Select(k => k.Name).Distinct().Count());
            foreach (var key in definition.AllKeys)
            {
                Assert.False(string.IsNullOrWhiteSpace(key.Description), $"{definition.TypeName}.{key.Name}");
                Assert.False(string.IsNullOrWhiteSpace(key.Example), $"{definition.TypeName}.{key.Name}");
                if (key.Required && key.Name != "type") Assert.False(string.IsNullOrWhiteSpace(key.Help), $"{definition.TypeName}.{key.Name}");
            }
        }
    }

    [Fact]
    public void TheSpecFormatsRowKeyTableListsExactlyTheKeysOfTheDefinitions()
    {
        // docs/spec-format.md, "Row keys": | key[, key...] | kinds (all, pools, or type names) | meaning |
        string docs = TorchSpecs.Tests.Diagnostics.RepoFiles.Read("docs/spec-format.md").Replace("\r\n", "\n", StringComparison.Ordinal);
        string table = docs.Substring(docs.IndexOf("## Row keys", StringComparison.Ordinal));
        table = table.Substring(0, table.IndexOf("\n\n", table.IndexOf("|---", StringComparison.Ordinal), StringComparison.Ordinal));
        var documented = new HashSet<(string Key, string Type)>();
        foreach (var line in table.Split('\n').Where(l => l.StartsWith("| ", StringComparison.Ordinal) && !l.StartsWith("| key ", StringComparison.Ordinal)))
        {
            var cells = line.Split('|').Select(c => c.Trim()).ToArray();
            var kinds = cells[2].Split(',').Select(k => k.Trim()).SelectMany(k => k switch
            {
                "all" => LayerDefinitions.All.Select(d => d.TypeName),
                "pools" => new[] { "maxpool", "avgpool" },
                _ => new[] { k },
            });
            foreach (var key in cells[1].Split(',').Select(k => k.Trim()))
                foreach (var kind in kinds) documented.Add((key, kind));
        }
        var defined = LayerDefinitions.All.SelectMany(d => d.AllKeys.Select(k => (k.Name, d.TypeName))).ToHashSet();
        Assert.Empty(defined.Except(documented).OrderBy(x => x));
        Assert.Empty(documented.Except(defined).OrderBy(x => x));
    }

    [Fact]
    public void EveryTopLevelKeyIsDefinedWithADescriptionAndAnExample()
    {
        Assert.Equal(new[] { "model", "description", "source", "namespace", "input", "defaults", "layers", "base", "batchnorm" },
            TorchSpecs.Generator.Kinds.Keys.Spec.Select(k => k.Name));
        Assert.All(TorchSpecs.Generator.Kinds.Keys.Spec, k =>
        {
            Assert.False(string.IsNullOrWhiteSpace(k.Description), k.Name);
            Assert.False(string.IsNullOrWhiteSpace(k.Example), k.Name);
        });
    }

    [Fact]
    public void EveryDefinitionsExampleRowIsAValidRow()
    {
        // Each example, as the only row after the input it needs, parses without an unknown key or wrong value.
        foreach (var definition in LayerDefinitions.All)
        {
            string yaml = $"model: Example\ninput: 227x227x3\nlayers:\n  - {definition.Example}\n";
            var run = GeneratorHarness.Run(("specs/example.yaml", yaml));
            Assert.DoesNotContain(run.GeneratorDiagnostics, d => d.Id is not ("TS0101" or "TS0103" or "TS0104"));
        }
    }

    [Fact]
    public void EmittedCodeCallsTheseRuntimeAndTorchSharpMembers()
    {
        string globalPool = File.ReadAllText(Path.Combine(TestSpecs(), "global-pool.yaml"));
        var run = GeneratorHarness.Run(("specs/every-kind.yaml", EveryKind), ("specs/global-pool.yaml", globalPool));
        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompilationDiagnostics);
        string generated = run.GeneratedSource(".EveryKind.g.cs") + run.GeneratedSource(".GlobalPoolHead.g.cs");
        foreach (var kind in Enum.GetValues<GenKind>())
            Assert.Contains($"global::TorchSpecs.LayerKind.{kind},", generated, StringComparison.Ordinal);

        var used = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var tree in run.Output.SyntaxTrees.Where(t => t.FilePath.EndsWith("EveryKind.g.cs", StringComparison.Ordinal) || t.FilePath.EndsWith("GlobalPoolHead.g.cs", StringComparison.Ordinal)))
        foreach (var node in tree.GetRoot().DescendantNodes().Where(n => n is SimpleNameSyntax or ObjectCreationExpressionSyntax or ImplicitObjectCreationExpressionSyntax))
        {
            var model = run.Output.GetSemanticModel(tree);
            var symbol = model.GetSymbolInfo(node).Symbol;
            if (symbol is null || symbol.ContainingAssembly is not { } assembly) continue;
            if (assembly.Name is not ("TorchSpecs.Runtime" or "TorchSharp")) continue;
            used.Add($"{assembly.Name}: {symbol.ToDisplayString(SymbolDisplayFormat.CSharpErrorMessageFormat)}");
        }
        Snapshot.Verify(string.Join("\n", used));
    }

    [Fact]
    public void TheNewKindsStaticTableEqualsTheLiveModule()
    {
        if (LiveModuleTests.Difference(GlobalPoolHead.Info) is { } difference) Assert.Fail(difference);
    }

    [Fact]
    public void GlobalAvgPoolIsTheMeanOfEachChannelAndNeedsNoFlatten()
    {
        var info = GlobalPoolHead.Info;
        var gap = info.Layers.Single(l => l.Name == "gap");
        Assert.Equal(LayerKind.GlobalAvgPool, gap.Kind);
        Assert.Equal("global_avgpool", gap.TypeName);
        Assert.Equal("GlobalAveragePooling2D", gap.KerasType);
        Assert.Equal(TensorShape.Flat(4), gap.Output);
        Assert.IsType<GlobalAvgPoolAttributes>(gap.Attributes);
        Assert.Equal(3 * 3 * 3 * 4 + 4 + 4 * 2 + 2, info.TrainableParams);

        using var scope = NewDisposeScope();
        using var module = new GlobalPoolHead();
        using var x = rand(2, 4, 5, 3);
        using var y = module.Gap.call(x);
        Assert.Equal(new long[] { 2, 4 }, y.shape);
        Assert.Equal(x[1, 2].mean().item<float>(), y[1, 2].item<float>(), 5);
    }

    [Fact]
    public void GlobalAvgPoolOnAFlatInputIsTS0104AndAWrongOutputShowsItsArithmetic()
    {
        var flat = Run("""
            model: Tiny
            input: 4x4x2
            layers:
              - { type: flatten }
              - { type: global_avgpool }
            """);
        Assert.Equal("global_pool1 (global_avgpool) needs an HxWxC feature map, but its input is already flat (32); move the row before the flatten row or remove it",
            Assert.Single(flat, d => d.Id == "TS0104").GetMessage(CultureInfo.InvariantCulture));

        var wrong = Run("""
            model: Tiny
            input: 4x4x2
            layers:
              - { type: global_avgpool, output: 8 }
            """);
        Assert.Equal("global_pool1 output is 2 but the table says 8: channels = 2, each averaged over 4x4",
            Assert.Single(wrong).GetMessage(CultureInfo.InvariantCulture));
    }

    [Fact]
    public void UnnamedRowsOfEachKindGetTheirOwnPrefix()
    {
        var run = GeneratorHarness.Run(("specs/x.yaml", """
            model: Tiny
            input: 8x8x2
            layers:
              - { type: avgpool, kernel: 2 }
              - { type: adaptive_avgpool, size: 2x2 }
              - { type: global_avgpool }
            """));
        Assert.Empty(run.GeneratorDiagnostics);
        string source = run.GeneratedSource(".Tiny.g.cs");
        Assert.Contains("new(\"avgpool1\", \"Avgpool1\"", source, StringComparison.Ordinal);
        Assert.Contains("new(\"adaptive_avgpool1\", \"AdaptiveAvgpool1\"", source, StringComparison.Ordinal);
        Assert.Contains("new(\"global_pool1\", \"GlobalPool1\"", source, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("linear", "dense")]
    [InlineData("Linear", "dense")]
    [InlineData("Conv2D", "conv")]
    [InlineData("Conv2d", "conv")]
    [InlineData("MaxPooling2D", "maxpool")]
    [InlineData("MaxPool2d", "maxpool")]
    [InlineData("AveragePooling2D", "avgpool")]
    [InlineData("BatchNormalization", "batchnorm")]
    [InlineData("BatchNorm2d", "batchnorm")]
    [InlineData("Dense", "dense")]
    [InlineData("ZeroPadding2D", "zeropad")]
    [InlineData("GlobalAveragePooling2D", "global_avgpool")]
    public void OtherFrameworksNamesOfAKindGetADidYouMean(string written, string meant)
    {
        var d = Assert.Single(Run($"model: Tiny\ninput: 8x8x2\nlayers:\n  - {{ name: x, type: {written} }}\n"));
        Assert.Equal("TS0005", d.Id);
        Assert.StartsWith($"Unknown layer type '{written}' (did you mean '{meant}'? '{written}' is another framework's name for it); the types are conv,",
            d.GetMessage(CultureInfo.InvariantCulture), StringComparison.Ordinal);
    }

    [Fact]
    public void AnActivationWrittenAsATypeIsShownAsAnActivationRow()
    {
        var d = Assert.Single(Run("model: Tiny\ninput: 8x8x2\nlayers:\n  - { name: x, type: ReLU }\n"));
        Assert.StartsWith("Unknown layer type 'ReLU' (did you mean type: activation, activation: relu?);", d.GetMessage(CultureInfo.InvariantCulture), StringComparison.Ordinal);
    }

    private static string TestSpecs([System.Runtime.CompilerServices.CallerFilePath] string path = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(path)!, "..", "specs"));

    private static IReadOnlyList<Diagnostic> Run(string yaml) => TorchSpecs.Tests.Diagnostics.DiagnosticTests.Run(yaml);
}
