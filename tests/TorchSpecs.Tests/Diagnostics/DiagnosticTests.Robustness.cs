using System.Globalization;
using Microsoft.CodeAnalysis;
using TorchSpecs.Generator;
using TorchSpecs.Generator.Emit;
using TorchSpecs.Generator.Parsing;
using TorchSpecs.Tests.Infrastructure;

namespace TorchSpecs.Tests.Diagnostics;

/// <summary>
/// What fuzzing found (issue 12, section 4): specs the generator accepted but whose C# did not
/// compile or whose model crashed at run time, errors at the wrong line, inputs that stalled
/// the parser, and messages that did not say what to do. Each is now rejected at its line
/// (or compiles and runs), with the message shown here.
/// </summary>
public partial class DiagnosticTests
{
    /// <summary>The spec gives no diagnostic, becomes a model, and its generated C# compiles without a warning.</summary>
    private static void AssertCompiles(string yaml)
    {
        var run = GeneratorHarness.Run((Path, yaml));
        Assert.Empty(run.GeneratorDiagnostics.Select(d => d.ToString()));
        Assert.Contains(run.HintNames, h => !h.EndsWith("ModelCatalog.g.cs", StringComparison.Ordinal));
        Assert.Empty(run.CompilationDiagnostics.Select(d => d.ToString()));
    }

    // ---- accepted specs compile ---------------------------------------------------------

    [Theory]
    [InlineData("\u2028")]
    [InlineData("\u2029")]
    [InlineData("\u0085")]
    [InlineData("\u0001\u007f\u009f")]
    public void LineSeparatorsAndControlCharactersInDescriptionAndSourceCompile(string odd)
    {
        string yaml = $"model: Odd\ndescription: \"a{odd}b\"\nsource: \"c{odd}d\"\ninput: 8x8x3\nlayers:\n  - {{ name: flatten, type: flatten, output: 192 }}\n";
        AssertCompiles(yaml);
    }

    [Fact]
    public void CodeWriterEscapesLineBreaksOfEveryKindAndNeverWritesANonFiniteNumber()
    {
        Assert.Equal("\"a\\u2028b\\u2029c\\u0085d\"", CodeWriter.Str("a\u2028b\u2029c\u0085d"));
        Assert.Equal("a b c d", CodeWriter.Xml("a\u2028b\u2029c\u0085d"));
        Assert.Throws<ArgumentOutOfRangeException>(() => CodeWriter.Num(double.NegativeInfinity));
        Assert.Throws<ArgumentOutOfRangeException>(() => CodeWriter.Num(double.NaN));
        Assert.Equal("1E+308", CodeWriter.Num(1e308));
    }

    [Fact]
    public void TS0007_TruncatedNormalWhoseCutOffIsNotFiniteIsRejectedAtItsValue()
    {
        const string yaml = """
            model: M
            input: 8x8x3
            layers:
              - { name: conv1, type: conv, kernel: 3, filters: 4, weight_init: "truncated_normal(1e308, 1e308)", output: 6x6x4 }
            """;
        AssertAt(Single(yaml), yaml, "TS0007", 4, 68, "\"truncated_normal(1e308, 1e308)\"",
            "'weight_init' is truncated_normal(1e308, 1e308), but it must be a mean and std that fit a 32-bit float, with mean ± 2·std too (the cut-off)");
    }

    [Theory]
    [InlineData("model: M\ninput: 8x8x3\n: a description without its key\nlayers:\n  - { name: flatten, type: flatten, output: 192 }\n", 3, 1)]
    [InlineData("model: M\ninput: 8x8x3\nlayers:\n  - { name: flatten, type: flatten, : 3, output: 192 }\n", 4, 37)]
    public void TS0004_AnEntryWithoutAKeyIsReportedOnItsColonNotOnTheLineAbove(string yaml, int line, int column)
    {
        var diagnostic = Run(yaml).First(d => d.Id == "TS0004");
        var span = diagnostic.Location.GetLineSpan();
        Assert.Equal((line, column), (span.StartLinePosition.Line + 1, span.StartLinePosition.Character + 1));
        Assert.Equal(1, span.EndLinePosition.Character - span.StartLinePosition.Character);
        Assert.StartsWith("Unknown key ''", diagnostic.GetMessage(CultureInfo.InvariantCulture));
    }

    [Fact]
    public void TS0009_AnAllLowerCaseModelNameIsRejectedWithItsPascalCaseForm()
    {
        const string yaml = """
            model: predict
            input: 8x8x3
            layers:
              - { name: flatten, type: flatten, output: 192 }
            """;
        AssertAt(Single(yaml), yaml, "TS0009", 1, 8, "predict",
            "Model name 'predict' cannot be used: C# reserves type names of lower-case letters only for future keywords (CS8981); write it in PascalCase: Predict");
    }

    [Fact]
    public void ALowerCaseModelNameWithADigitCompiles() =>
        AssertCompiles("model: vgg16\ninput: 8x8x3\nlayers:\n  - { name: flatten, type: flatten, output: 192 }\n");

    [Fact]
    public void TS0009_AModelNameTooLongForMetadataIsRejected()
    {
        string name = "M" + new string('x', 4999);
        string yaml = $"model: {name}\ninput: 8x8x3\nlayers:\n  - {{ name: flatten, type: flatten, output: 192 }}\n";
        AssertAt(Single(yaml), yaml, "TS0009", 1, 8, name,
            $"Model name '{name}' cannot be used: it is 5,000 characters long; a name may have at most {SpecLimits.MaxNameLength}");
    }

    [Fact]
    public void TS0009_ALayerNameTooLongIsRejected()
    {
        string name = "conv" + new string('x', 200);
        string yaml = $"model: M\ninput: 8x8x3\nlayers:\n  - {{ name: {name}, type: flatten, output: 192 }}\n";
        AssertAt(Single(yaml), yaml, "TS0009", 4, 13, name,
            $"Layer name '{name}' cannot be used: it is 204 characters long; a name may have at most {SpecLimits.MaxNameLength}");
    }

    [Fact]
    public void TS0018_ADescriptionTooLongForTheGeneratedClassIsRejectedAndTheOtherModelsStillCompile()
    {
        string description = new('d', SpecLimits.MaxTextLength + 1);
        string yaml = $"model: Big\ndescription: {description}\ninput: 8x8x3\nlayers:\n  - {{ name: flatten, type: flatten, output: 192 }}\n";
        var run = GeneratorHarness.Run((Path, yaml), ("specs/ok.yaml", "model: Ok\ninput: 8x8x3\nlayers:\n  - { name: flatten, type: flatten, output: 192 }\n"));
        var d = Assert.Single(run.GeneratorDiagnostics);
        AssertAt(d, yaml, "TS0018", 2, 14, description,
            "The spec is too large: 'description' holds 10,001 characters; a spec's description and source may hold at most 10,000 (they go into the generated class): shorten it, and keep longer notes in a comment or a file beside the spec");
        Assert.Contains("TestModels.Ok.g.cs", run.HintNames);
        Assert.DoesNotContain("TestModels.Big.g.cs", run.HintNames);
        Assert.Empty(run.CompilationDiagnostics.Select(c => c.ToString()));
    }

    // ---- accepted specs run -------------------------------------------------------------

    [Fact]
    public void TS0009_ALayerNameWithADotIsRejected()
    {
        const string yaml = """
            model: M
            input: 8x8x3
            layers:
              - { name: features.0, type: conv, kernel: 3, filters: 4, output: 6x6x4 }
            """;
        AssertAt(Single(yaml), yaml, "TS0009", 4, 13, "features.0",
            "Layer name 'features.0' cannot be used: a '.' separates module paths in a state dict, so it cannot be in a layer name; write features_0 (a PyTorch module path such as features.0 goes in torch_name)");
    }

    [Fact]
    public void TS0107_ADenseRowWithMoreParametersThanATensorHoldsIsRejected()
    {
        const string yaml = """
            model: M
            input: 1x1x1
            layers:
              - { name: flatten, type: flatten, output: 1 }
              - { name: fc, type: dense, units: 2147483647, output: 2147483647 }
            """;
        AssertAt(Single(yaml), yaml, "TS0107", 5, 13, "fc",
            "fc would hold 4.29497E+09 parameters on its 1 input, more than 2147483647: check the sizes, kernel, stride and padding of this row and of the rows above it");
    }

    [Fact]
    public void TS0107_AnLrnWindowThatNeedsAHugeBufferIsRejected()
    {
        const string yaml = """
            model: M
            input: 8x8x3
            layers:
              - { name: lrn1, type: lrn, size: 1073741824, output: 8x8x3 }
            """;
        AssertAt(Single(yaml), yaml, "TS0107", 4, 13, "lrn1",
            "lrn1 has a window of 1.07374E+09 channels, which needs a 1.07374E+09x8x8 = 6.87195E+10 value buffer per example, more than 2147483647: check the sizes, kernel, stride and padding of this row and of the rows above it");
    }

    [Fact]
    public void TS0107_RowsWhoseParametersAddUpPastTheLimitAreReportedOnceAtTheRowThatCrossesIt()
    {
        const string yaml = """
            model: M
            input: 1x1x40000
            layers:
              - { name: flatten, type: flatten, output: 40000 }
              - { name: fc1, type: dense, units: 40000, output: 40000 }
              - { name: fc2, type: dense, units: 40000, output: 40000 }
              - { name: fc3, type: dense, units: 40000, output: 40000 }
            """;
        AssertAt(Single(yaml), yaml, "TS0107", 6, 13, "fc2",
            "fc2 brings the model's parameters to 3.20008E+09, more than 2147483647 for the whole model: check the sizes, kernel, stride and padding of this row and of the rows above it");
    }

    [Fact]
    public void TS0007_ABiasInitThatDoesNotFitAFloatIsRejectedAtItsValue()
    {
        const string yaml = """
            model: M
            input: 8x8x3
            layers:
              - { name: conv1, type: conv, kernel: 3, filters: 4, bias_init: 1e308, output: 6x6x4 }
            """;
        AssertAt(Single(yaml), yaml, "TS0007", 4, 66, "1e308",
            "'bias_init' is 1e308, but it must be a finite number that fits a 32-bit float (at most 3.4028234663852886E+38 in size)");
    }

    [Fact]
    public void RuntimeTotalsThatOverflowNameTheModelAndListStillShowsTheOthers()
    {
        var real = TorchSpecs.Models.ModelCatalog.All.First();
        var huge = real.Layers.Select(l => l with { TrainableParams = long.MaxValue / 2 }).ToArray();
        var broken = new ModelInfo("Broken", null, null, "specs/broken.yaml", real.Input, huge, real.Create);
        var error = Assert.Throws<InvalidOperationException>(() => broken.TrainableParams);
        Assert.Equal("Broken: the trainable parameters of its rows add up to more than 9223372036854775807; its layer table (specs/broken.yaml) is wrong", error.Message);

        string list = ModelList.Format(new[] { real, broken });
        Assert.Contains(real.Name, list, StringComparison.Ordinal);
        Assert.Contains("? Broken: the parameters of its rows", list, StringComparison.Ordinal);
    }

    // ---- the right line -----------------------------------------------------------------

    [Fact]
    public void TS0001_ATabInTheIndentationIsReportedAtTheTab()
    {
        const string yaml = "model: M\ninput: 8x8x3\nlayers:\n\t- { name: flatten, type: flatten, output: 192 }\n";
        AssertAt(Single(yaml), yaml, "TS0001", 4, 1, "\t",
            "The spec is not valid YAML here: line 4 is indented with a tab; YAML indents with spaces only: replace the tab with spaces");
    }

    [Theory]
    [InlineData("\t# a comment")]
    [InlineData("  \t# a comment")]
    [InlineData("\t")]
    [InlineData(" \t ")]
    public void TS0001_ATabBeforeACommentOrStartingAnEmptyLineIsReportedAtTheTab(string line)
    {
        string yaml = "model: M\ninput: 8x8x3\nlayers:\n  - { name: flatten, type: flatten, output: 192 }\n" + line + "\n";
        AssertAt(Single(yaml), yaml, "TS0001", 5, line.IndexOf('\t') + 1, "\t",
            "The spec is not valid YAML here: line 5 is indented with a tab; YAML indents with spaces only: replace the tab with spaces");
    }

    [Fact]
    public void TS0001_ATabBeforeAKeyIsReportedAtItsOwnLineNotTheLineAbove()
    {
        const string yaml = "model: M\n\tinput: 8x8x3\nlayers:\n  - { name: flatten, type: flatten, output: 192 }\n";
        AssertAt(Single(yaml), yaml, "TS0001", 2, 1, "\t",
            "The spec is not valid YAML here: line 2 is indented with a tab; YAML indents with spaces only: replace the tab with spaces");
    }

    [Fact]
    public void CarriageReturnLineEndingsGiveTheRightLines()
    {
        const string lf = """
            model: M
            input: 8x8x3
            layers:
              - { name: conv1, type: conv, kernel: 3, filters: 4, output: 8x8x4 }
            """;
        foreach (string yaml in new[] { lf.Replace("\n", "\r"), lf.Replace("\n", "\r\n") })
        {
            var d = Single(yaml);
            Assert.Equal("TS0101", d.Id);
            var span = d.Location.GetLineSpan();
            Assert.Equal((3, 62), (span.StartLinePosition.Line, span.StartLinePosition.Character));
        }
    }

    [Fact]
    public void AnErrorReachedThroughAnAliasIsReportedWhereTheAliasIsUsed()
    {
        const string yaml = """
            model: M
            input: 8x8x3
            layers:
              - &block { name: conv1, type: conv, kernel: 3, filters: 4, padding: 1, output: 8x8x4 }
              - *block
            """;
        AssertAt(Single(yaml), yaml, "TS0010", 5, 5, "*block",
            "Layer name 'conv1' is already used by row 1; layer names must be unique in a model: rename one of them");
    }

    [Fact]
    public void AShapeErrorOfARowADerivedSpecChangesIsReportedAtThatRowNotAtBase()
    {
        const string small = """
            model: Small
            input: 8x8x3
            layers:
              - { name: conv1, type: conv, kernel: 3, filters: 4, padding: 1, output: 8x8x4 }
            """;
        const string derived = """
            model: Derived
            base: Small
            layers:
              - { name: conv1, padding: 0, output: 8x8x4 }
            """;
        // The output this spec states is checked (an inherited one would be re-inferred, issue 12 §3).
        var run = GeneratorHarness.Run(("specs/small.yaml", small), (Path, derived));
        var d = Assert.Single(run.GeneratorDiagnostics);
        AssertAt(d, derived, "TS0101", 4, 40, "8x8x4",
            "conv1 output is 6x6x4 but the table says 8x8x4: floor((8 + 0 - 3)/1) + 1 = 6. padding: 1 (or same) would keep 8x8: add it to the row");
    }

    [Fact]
    public void TS0017_AliasesThatExpandPastTheBudgetAreOneError()
    {
        // Each level doubles: 2^20 values from 20 short lines (a "billion laughs").
        var lines = new List<string> { "a0: &a0 [1, 1]" };
        for (int i = 1; i <= 20; i++) lines.Add($"a{i}: &a{i} [*a{i - 1}, *a{i - 1}]");
        string yaml = "model: M\ninput: 8x8x3\n" + string.Join("\n", lines) + "\nlayers:\n  - { name: flatten, type: flatten, output: 192 }\n";
        var diagnostics = Run(yaml);
        var alias = Assert.Single(diagnostics, d => d.Id == "TS0017");
        Assert.Equal($"the aliases expand to more than {YamlTree.MaxAliasNodes} values; a spec writes its values out (defaults: gives keys to every row)", alias.GetMessage(CultureInfo.InvariantCulture));
    }

    [Fact]
    public void TS0017_ATagIsReportedNamingIt()
    {
        const string yaml = """
            model: M
            input: !!str 8x8x3
            layers:
              - { name: flatten, type: flatten, output: !shape 192 }
            """;
        var diagnostics = Run(yaml);
        Assert.Equal(2, diagnostics.Count);
        AssertAt(diagnostics[0], yaml, "TS0017", 2, 8, "!!str 8x8x3",
            "the YAML tag '!!str' is not used in a spec: remove it (each key says what its value is; quote a value to make it text)");
        AssertAt(diagnostics[1], yaml, "TS0017", 4, 45, "!shape 192",
            "the YAML tag '!shape' is not used in a spec: remove it (each key says what its value is; quote a value to make it text)");
    }

    // ---- no stalls ----------------------------------------------------------------------

    [Theory]
    [InlineData("[", 2)]
    [InlineData("{a: ", 2)]
    [InlineData("\n- ", 3)]
    public void TS0001_NestingAHundredThousandDeepIsRejectedBeforeTheYamlParser(string open, int line)
    {
        // Flow brackets, or block lists written compactly ("- - - 1"): 100,000 levels took YamlDotNet minutes.
        string nested = open == "\n- " ? "\n" + string.Concat(Enumerable.Repeat("- ", 100_000)) + "1"
            : string.Concat(Enumerable.Repeat(open, 100_000)) + "1" + new string(open == "[" ? ']' : '}', 100_000);
        string yaml = "model: Deep\ninput: 8x8x3\nlayers: " + nested + "\n";
        var problem = YamlPrescan.Check(yaml, YamlTree.MaxDepth);
        Assert.NotNull(problem);
        Assert.Equal("depth", problem!.Kind);
        var d = Single(yaml);
        Assert.Equal("TS0001", d.Id);
        Assert.Equal($"The spec is not valid YAML here: the YAML nests deeper than {YamlTree.MaxDepth} levels", d.GetMessage(CultureInfo.InvariantCulture));
        Assert.Equal(line, d.Location.GetLineSpan().StartLinePosition.Line);
    }

    [Fact]
    public void ThePreScanAcceptsValidYamlItMightMistakeForTabsOrDepth()
    {
        // A block scalar's text may be indented further (and hold tabs); a row may span lines in
        // flow style; a tab may separate a key from its value.
        string yaml = "model: Fine\n" +
            "description: |\n  first line\n      indented\ttext\n" + string.Concat(Enumerable.Range(1, 40).Select(i => "  " + new string(' ', i) + "deeper\n")) +
            "source:\tKrizhevsky et al. [2012]\n" +
            "input: 8x8x3\n" +
            "layers:\n" +
            "  - { name: conv1, type: conv, kernel: [3,\n      3], filters: 4, padding: 1, output: 8x8x4 }\n" +
            "\n" +
            "  - { name: flatten, type: flatten, output: 256 }\n";
        Assert.Null(YamlPrescan.Check(yaml, YamlTree.MaxDepth));
        AssertCompiles(yaml);
    }

    [Fact]
    public void TS0203_AtMostAHundredDiagnosticsThenOneSayingHowManyMore()
    {
        // Every row documents 5 channels where its conv makes 4: 150 wrong rows.
        var rows = Enumerable.Range(1, 150).Select(i => $"  - {{ name: conv{i}, type: conv, kernel: 1, filters: 4, output: 8x8x5 }}").ToList();
        string yaml = "model: M\ninput: 8x8x4\nlayers:\n" + string.Join("\n", rows) + "\n";
        var diagnostics = Run(yaml);
        Assert.Equal(TorchSpecsGenerator.MaxDiagnostics + 1, diagnostics.Count);
        Assert.All(diagnostics.Take(TorchSpecsGenerator.MaxDiagnostics), d => Assert.Equal("TS0101", d.Id));
        AssertAt(diagnostics[^1], yaml, "TS0203", 103, rows[99].IndexOf("8x8x5", StringComparison.Ordinal) + 1, "8x8x5",
            "50 more diagnostics in this spec are not shown (the first 100 are); fix those and build again");
    }

    [Fact]
    public void TS0018_MoreRowsThanAllowedAreOneErrorAtTheFirstRowTooMany()
    {
        var rows = Enumerable.Range(1, SpecLimits.MaxRows + 5).Select(i => $"  - {{ name: act{i}, type: activation, activation: relu }}");
        string yaml = "model: M\ninput: 8x8x4\nlayers:\n" + string.Join("\n", rows) + "\n";
        AssertAt(Single(yaml), yaml, "TS0018", SpecLimits.MaxRows + 4, 5, "",
            "The table has 2,005 rows; a spec may have at most 2,000 (row 2,001 starts here)");
    }

    [Fact]
    public void TS0018_AFileLargerThanAnySpecIsRejectedWithoutParsingIt()
    {
        string yaml = "model: M\ninput: 8x8x3\nlayers: []\n# " + new string('x', YamlPrescan.MaxChars) + "\n";
        AssertAt(Single(yaml), yaml, "TS0018", 1, 1, "",
            $"The spec is too large: the file holds {yaml.Length.ToString("N0", CultureInfo.InvariantCulture)} characters; a spec may hold at most 1,000,000");
    }

    // ---- messages -----------------------------------------------------------------------

    [Fact]
    public void TS0003_AnUnquotedInitializerInAFlowRowSaysQuoteItOnce()
    {
        const string yaml = """
            model: M
            input: 8x8x3
            layers:
              - { name: conv1, type: conv, kernel: 3, filters: 4, weight_init: normal(0, 0.01), output: 6x6x4 }
            """;
        AssertAt(Single(yaml), yaml, "TS0003", 4, 68, "normal(0, 0.01)",
            "'weight_init' must be quoted in a { ... } row, as weight_init: \"normal(0, 0.01)\" (unquoted, its comma ends the value), but it is normal(0, 0.01) unquoted");
    }

    [Fact]
    public void TS0201_AChannelsFirstInputSaysInputIsHxWxC()
    {
        const string yaml = """
            model: M
            input: 3x32x32
            layers:
              - { name: flatten, type: flatten, output: 3072 }
            """;
        AssertAt(Single(yaml), yaml, "TS0201", 2, 8, "3x32x32",
            "input 3x32x32 is 3 high, 32 wide with 32 channels; input is HxWxC (height x width x channels): a 32x32 image with 3 channels is input: 32x32x3");
    }

    [Fact]
    public void TS0001_AnIndentationErrorSaysIndentationWithARowInTheFilesFlowStyle()
    {
        const string yaml = "model: M\ninput: 8x8x3\nlayers:\n  - { name: flatten, type: flatten }\n - { name: fc, type: dense, units: 2 }\n";
        AssertAt(Single(yaml), yaml, "TS0001", 5, 2, "-",
            "The spec is not valid YAML here: the indentation is wrong: line 5 is indented by 1 space and line 4 above it by 2 spaces; " +
            "keys of one mapping and items of one list start in the same column (a row looks like '  - { name: conv1, type: conv, kernel: 3, filters: 64 }')");
    }

    [Fact]
    public void TS0001_AnIndentationErrorSaysIndentationWithARowInTheFilesBlockStyle()
    {
        const string yaml = "model: M\ninput: 8x8x3\nlayers:\n  - name: flatten\n    type: flatten\n  - name: fc\n   type: dense\n";
        var d = Single(yaml);
        Assert.Equal("TS0001", d.Id);
        Assert.Equal(6, d.Location.GetLineSpan().StartLinePosition.Line);
        Assert.Equal("The spec is not valid YAML here: the indentation is wrong: line 7 is indented by 3 spaces and line 6 above it by 2 spaces; " +
                     "keys of one mapping and items of one list start in the same column (a row looks like '  - name: conv1' with its other keys below name, each on its own line and in name's column: '    type: conv')",
            d.GetMessage(CultureInfo.InvariantCulture));
    }
}
