using System.Globalization;
using Microsoft.CodeAnalysis;
using TorchSpecs.Generator;
using TorchSpecs.Generator.Diagnostics;
using TorchSpecs.Generator.Model;
using TorchSpecs.Generator.Parsing;
using TorchSpecs.Tests.Infrastructure;

namespace TorchSpecs.Tests.Diagnostics;

/// <summary>
/// One driver test (at least) per diagnostic ID: a wrong spec, the ID, the line and column
/// (one-based, as the build prints them: <c>specs/x.yaml(line,col): error TS0xxx</c>), the
/// text found there, and the whole message.
/// </summary>
public partial class DiagnosticTests
{
    private const string Path = "specs/x.yaml";
    private const string FullPath = GeneratorHarness.ProjectDirectory + Path;

    /// <summary>Runs the generator on one spec and returns its only diagnostic.</summary>
    internal static Diagnostic Single(string yaml)
    {
        var diagnostics = Run(yaml);
        return Assert.Single(diagnostics);
    }

    internal static IReadOnlyList<Diagnostic> Run(string yaml)
    {
        var run = GeneratorHarness.Run((Path, yaml));
        Assert.Null(run.Result.Results.Single().Exception);
        Assert.DoesNotContain(run.GeneratorDiagnostics, d => d.Id is "CS8785" or "TS0900");
        // A spec with an error never becomes a model.
        if (run.GeneratorDiagnostics.Any(d => d.Severity == DiagnosticSeverity.Error))
            Assert.DoesNotContain(run.HintNames, h => !h.EndsWith("ModelCatalog.g.cs", StringComparison.Ordinal));
        else
            Assert.Contains(run.HintNames, h => !h.EndsWith("ModelCatalog.g.cs", StringComparison.Ordinal));
        return run.GeneratorDiagnostics;
    }

    /// <summary>The diagnostic is <paramref name="id"/> at (line, column), where the YAML text starts with <paramref name="found"/>.</summary>
    internal static void AssertAt(Diagnostic diagnostic, string yaml, string id, int line, int column, string found, string message, string path = FullPath)
    {
        Assert.Equal(id, diagnostic.Id);
        var span = diagnostic.Location.GetLineSpan();
        Assert.Equal(path, span.Path);
        Assert.Equal((line, column), (span.StartLinePosition.Line + 1, span.StartLinePosition.Character + 1));
        string text = yaml.Split('\n')[line - 1].Substring(column - 1);
        Assert.StartsWith(found, text, StringComparison.Ordinal);
        // The span covers the key or value itself (an empty span only for what is not in the file at all).
        if (found.Length > 0)
            Assert.Equal(found.Length, span.EndLinePosition.Character - span.StartLinePosition.Character);
        Assert.Equal(message, diagnostic.GetMessage(CultureInfo.InvariantCulture));
        Assert.Equal(DiagnosticDescriptors.Get(id).DefaultSeverity, diagnostic.Severity);
    }

    // ---- TS0001 YAML syntax -------------------------------------------------------------

    [Fact]
    public void TS0001_UnclosedFlowRowPointsAtItsBrace()
    {
        const string yaml = """
            model: Bad
            input: 8x8x3
            layers:
              - { name: conv1, type: conv, kernel: 3, filters: 4
              - { name: flatten, type: flatten }
            """;
        AssertAt(Single(yaml), yaml, "TS0001", 4, 5, "{",
            "The spec is not valid YAML here: this '{' is not closed before line 5; end it with '}' " +
            "(a row looks like '  - { name: conv1, type: conv, kernel: 3, filters: 64 }')");
    }

    [Fact]
    public void TS0001_BadIndentationIsASyntaxErrorAtItsLine()
    {
        const string yaml = "model: Bad\ninput: 8x8x3\n  layers: []\n";
        var d = Single(yaml);
        Assert.Equal("TS0001", d.Id);
        Assert.Equal(2, d.Location.GetLineSpan().StartLinePosition.Line);
        Assert.StartsWith("The spec is not valid YAML here: ", d.GetMessage(CultureInfo.InvariantCulture), StringComparison.Ordinal);
    }

    [Fact]
    public void TS0001_SecondDocumentPointsAtItsMarker()
    {
        const string yaml = """
            model: Two
            input: 8x8x3
            layers:
              - { type: flatten }
            ---
            model: Three
            """;
        AssertAt(Single(yaml), yaml, "TS0001", 5, 1, "---",
            "The spec is not valid YAML here: the file holds more than one YAML document ('---'); a spec is one document: delete the second one");
    }

    [Fact]
    public void TS0001_DeepNestingIsReportedNotOverflowed()
    {
        string yaml = "model: Deep\ninput: 8x8x3\nlayers: " + new string('[', 5000) + new string(']', 5000) + "\n";
        var d = Single(yaml);
        Assert.Equal("TS0001", d.Id);
        Assert.Equal(2, d.Location.GetLineSpan().StartLinePosition.Line);
        Assert.Contains($"nests deeper than {YamlTree.MaxDepth} levels", d.GetMessage(CultureInfo.InvariantCulture), StringComparison.Ordinal);
    }

    // ---- TS0002 duplicate key -----------------------------------------------------------

    [Fact]
    public void TS0002_DuplicateRowKeyPointsAtTheSecondKey()
    {
        const string yaml = """
            model: Dup
            input: 8x8x3
            layers:
              - { name: conv1, type: conv, kernel: 3, kernel: 5, filters: 4, output: 6x6x4 }
            """;
        AssertAt(Single(yaml), yaml, "TS0002", 4, 43, "kernel",
            "Key 'kernel' appears twice in the same mapping; a key may appear once: delete one of them");
    }

    [Fact]
    public void TS0002_DuplicateTopLevelKey()
    {
        const string yaml = """
            model: Dup
            input: 8x8x3
            model: Dup2
            layers:
              - { name: flatten, type: flatten, output: 192 }
            """;
        AssertAt(Single(yaml), yaml, "TS0002", 3, 1, "model",
            "Key 'model' appears twice in the same mapping; a key may appear once: delete one of them");
    }

    // ---- TS0003 wrong value type --------------------------------------------------------

    [Fact]
    public void TS0003_StringWhereANumberIsExpected()
    {
        const string yaml = """
            model: Str
            input: 8x8x3
            layers:
              - { name: conv1, type: conv, kernel: 3, filters: many, output: 6x6x4 }
            """;
        AssertAt(Single(yaml), yaml, "TS0003", 4, 52, "many", "'filters' must be a whole number, but it is 'many'");
    }

    [Fact]
    public void TS0003_KernelListOfThree()
    {
        const string yaml = """
            model: K3
            input: 8x8x3
            layers:
              - { name: conv1, type: conv, kernel: [3, 3, 3], filters: 4, output: 6x6x4 }
            """;
        AssertAt(Single(yaml), yaml, "TS0003", 4, 40, "[3, 3, 3]",
            "'kernel' must be a number or a list of two [height, width], but it is a list of 3");
    }

    [Fact]
    public void TS0003_QuotedNumberIsText()
    {
        const string yaml = """
            model: Q
            input: 8x8x3
            layers:
              - { name: conv1, type: conv, kernel: "3", filters: 4, output: 6x6x4 }
            """;
        AssertAt(Single(yaml), yaml, "TS0003", 4, 40, "\"3\"", "'kernel' must be a whole number, but it is '3'");
    }

    [Fact]
    public void TS0003_NonYamlTextFileMatchingTheGlob()
    {
        const string yaml = "This is a README, not a spec.\n";
        AssertAt(Single(yaml), yaml, "TS0003", 1, 1, "This is a README, not a spec.",
            "'the spec' must be a mapping with model, input and layers, but it is 'This is a README, not a spec.'");
    }

    // ---- TS0004 unknown key -------------------------------------------------------------

    [Fact]
    public void TS0004_MisspeltTopLevelKeyGetsASuggestionAndNoMissingKeyError()
    {
        const string yaml = """
            model: Typo
            input: 8x8x3
            layer:
              - { name: flatten, type: flatten, output: 192 }
            """;
        AssertAt(Single(yaml), yaml, "TS0004", 3, 1, "layer", "Unknown key 'layer' in the spec (did you mean 'layers'?)");
    }

    [Fact]
    public void TS0004_MisspeltRowKeyGetsASuggestionAndNoMissingKeyError()
    {
        const string yaml = """
            model: Typo
            input: 8x8x3
            layers:
              - { name: conv1, type: conv, kernel: 3, filter: 4, output: 6x6x4 }
            """;
        AssertAt(Single(yaml), yaml, "TS0004", 4, 43, "filter", "Unknown key 'filter' in a conv row (did you mean 'filters'?)");
    }

    [Fact]
    public void TS0004_MisspeltTypeKey()
    {
        const string yaml = """
            model: Typo
            input: 8x8x3
            layers:
              - { name: conv1, tpye: conv, kernel: 3, filters: 4, output: 6x6x4 }
            """;
        AssertAt(Single(yaml), yaml, "TS0004", 4, 20, "tpye", "Unknown key 'tpye' in row 1 (did you mean 'type'?)");
    }

    [Fact]
    public void TS0004_KeyOfAnotherLayerTypeSaysWhichKeysTheTypeTakes()
    {
        const string yaml = """
            model: Wrong
            input: 8x8x3
            layers:
              - { name: pool1, type: maxpool, kernel: 2, filters: 4, output: 4x4x3 }
            """;
        AssertAt(Single(yaml), yaml, "TS0004", 4, 46, "filters",
            "Unknown key 'filters' in a maxpool row; 'filters' is not a key of this layer type (it takes name, type, output, torch_name, kernel, stride, padding, dilation, ceil)");
    }

    [Fact]
    public void TS0004_UnknownKeyWithoutSuggestionListsTheKeys_AndTheRestOfTheTableIsStillChecked()
    {
        const string yaml = """
            model: M
            input: 8x8x3
            layers:
              - { name: conv1, type: conv, kernel: 3, filters: 4, colour: red, output: 6x6x4 }
              - { name: pool1, type: maxpool, kernel: 2, output: 4x4x4 }
            """;
        var diagnostics = Run(yaml);
        Assert.Equal(2, diagnostics.Count);
        AssertAt(diagnostics[0], yaml, "TS0004", 4, 55, "colour",
            "Unknown key 'colour' in a conv row; the keys are name, type, output, torch_name, kernel, filters, stride, padding, groups, dilation, activation, weight_init, bias_init, bias");
        AssertAt(diagnostics[1], yaml, "TS0101", 5, 54, "4x4x4",
            "pool1 output is 3x3x4 but the table says 4x4x4: floor((6 + 0 - 2)/2) + 1 = 3");
    }

    // ---- TS0005 unknown layer type ------------------------------------------------------

    [Fact]
    public void TS0005_UnknownLayerTypeWithSuggestion_AndTheNextRowsContinueFromItsDocumentedOutput()
    {
        const string yaml = """
            model: Typo
            input: 8x8x3
            layers:
              - { name: conv1, type: convv, kernel: 3, filters: 4, output: 6x6x4 }
              - { name: pool1, type: maxpool, kernel: 2, output: 3x3x4 }
            """;
        AssertAt(Single(yaml), yaml, "TS0005", 4, 26, "convv",
            "Unknown layer type 'convv' (did you mean 'conv'?); the types are conv, maxpool, avgpool, adaptive_avgpool, lrn, batchnorm, dropout, flatten, dense, zeropad, resize, activation, global_avgpool");
    }

    // ---- TS0006 missing key -------------------------------------------------------------

    [Theory]
    [InlineData("model", "The spec needs 'model': the C# class name of the model, e.g. model: AlexNet")]
    [InlineData("input", "The spec needs 'input': the input size as HxWxC, e.g. input: 227x227x3")]
    [InlineData("layers", "The spec needs 'layers': the list of layer rows, one - { name: conv1, type: conv, ... } per line")]
    public void TS0006_MissingTopLevelKeyPointsAtTheStartOfTheSpec(string key, string message)
    {
        var lines = new Dictionary<string, string>
        {
            ["model"] = "model: M",
            ["input"] = "input: 8x8x3",
            ["layers"] = "layers:\n  - { name: flatten, type: flatten, output: 192 }",
        };
        string yaml = "# a comment line\n" + string.Join("\n", lines.Where(l => l.Key != key).Select(l => l.Value)) + "\n";
        AssertAt(Single(yaml), yaml, "TS0006", 2, 1, "", message);
    }

    [Fact]
    public void TS0006_MissingFiltersAndUnitsPointAtTheRowsType()
    {
        const string yaml = """
            model: M
            input: 8x8x3
            layers:
              - { name: conv1, type: conv, kernel: 3, output: 6x6x4 }
              - { name: flatten, type: flatten, output: 144 }
              - { name: fc, type: dense, output: 10 }
            """;
        var diagnostics = Run(yaml);
        Assert.Equal(2, diagnostics.Count);
        AssertAt(diagnostics[0], yaml, "TS0006", 4, 26, "conv", "conv1 needs 'filters': the number of output channels, e.g. filters: 64");
        AssertAt(diagnostics[1], yaml, "TS0006", 6, 23, "dense", "fc needs 'units': the number of output features, e.g. units: 4096");
    }

    [Fact]
    public void TS0006_MissingTypeGivesOneDiagnosticAndTheTableContinues()
    {
        const string yaml = """
            model: M
            input: 8x8x3
            layers:
              - { name: conv1, kernel: 3, filters: 4, output: 6x6x4 }
              - { name: pool1, type: maxpool, kernel: 2, output: 3x3x4 }
              - { name: flatten, type: flatten, output: 37 }
            """;
        var diagnostics = Run(yaml);
        Assert.Equal(2, diagnostics.Count);
        AssertAt(diagnostics[0], yaml, "TS0006", 4, 5, "",
            "Row 1 needs 'type': one of conv, maxpool, avgpool, adaptive_avgpool, lrn, batchnorm, dropout, flatten, dense, zeropad, resize, activation, global_avgpool");
        AssertAt(diagnostics[1], yaml, "TS0101", 6, 45, "37", "flatten output is 36 but the table says 37: 3 * 3 * 4 = 36");
    }

    // ---- TS0007 out of range ------------------------------------------------------------

    [Theory]
    [InlineData("stride: 0", "stride", "0", "'stride' is 0, but it must be a positive whole number")]
    [InlineData("stride: -2", "stride", "-2", "'stride' is -2, but it must be a positive whole number")]
    [InlineData("padding: -1", "padding", "-1", "'padding' is -1, but it must be zero or more")]
    [InlineData("padding: [1, -1]", "padding", "-1", "'padding' is -1, but it must be zero or more")]
    [InlineData("filters: 0", "filters", "0", "'filters' is 0, but it must be a positive whole number")]
    [InlineData("filters: 2147483648", "filters", "2147483648", "'filters' is 2147483648, but it must be at most 2147483647")]
    [InlineData("kernel: 99999999999999999999999", "kernel", "99999999999999999999999", "'kernel' is 99999999999999999999999, but it must be at most 2147483647")]
    public void TS0007_NonPositiveOrOverflowingNumbers(string setting, string key, string value, string message)
    {
        string row = "  - { name: conv1, type: conv, kernel: 3, filters: 4, output: 6x6x4 }";
        string name = setting.Split(':')[0];
        row = System.Text.RegularExpressions.Regex.Replace(row, name + @": [^,}]+", setting);
        if (!row.Contains(setting, StringComparison.Ordinal)) row = row.Replace(" }", ", " + setting + " }", StringComparison.Ordinal);
        string yaml = $"model: M\ninput: 8x8x3\nlayers:\n{row}\n";
        Assert.Equal(key, name);
        int column = row.IndexOf(setting, StringComparison.Ordinal) + setting.IndexOf(value, name.Length, StringComparison.Ordinal) + 1;
        AssertAt(Single(yaml), yaml, "TS0007", 4, column, value, message);
    }

    [Fact]
    public void TS0007_InputSizeThatOverflowsInt()
    {
        const string yaml = "model: M\ninput: 65536x65536x3\nlayers:\n  - { name: flatten, type: flatten }\n";
        AssertAt(Single(yaml), yaml, "TS0007", 2, 8, "65536x65536x3",
            "'input' is 65536x65536x3, but it must be a size of at most 2147483647 values in all (H * W * C)");
    }

    [Fact]
    public void TS0007_DropoutRateOfOneIsAnError()
    {
        const string yaml = """
            model: M
            input: 8x8x3
            layers:
              - { name: drop, type: dropout, rate: 1, output: 8x8x3 }
            """;
        AssertAt(Single(yaml), yaml, "TS0007", 4, 40, "1", "'rate' is 1, but it must be at least 0 and below 1");
    }

    // ---- TS0008 empty -------------------------------------------------------------------

    [Theory]
    [InlineData("")]
    [InlineData("\n\n")]
    [InlineData("# only a comment\n")]
    public void TS0008_EmptySpecFile(string yaml)
    {
        AssertAt(Single(yaml), yaml, "TS0008", 1, 1, "", "The spec file is empty; a spec is a YAML mapping with model, input and layers");
    }

    [Fact]
    public void TS0008_EmptyLayersList()
    {
        const string yaml = "model: M\ninput: 8x8x3\nlayers: []\n";
        AssertAt(Single(yaml), yaml, "TS0008", 3, 9, "[]", "'layers' is empty; a model needs at least one layer row");
    }

    [Fact]
    public void TS0008_BinaryFileMatchingTheGlob()
    {
        string yaml = "PK\u0003\u0004\u0014\0\b\0\0\0!\0\u0001\u0002\u0003";
        AssertAt(Single(yaml), yaml, "TS0008", 1, 1, "", "The file is not a YAML text file; a spec is a YAML mapping with model, input and layers");
    }

    // ---- TS0009 invalid names -----------------------------------------------------------

    [Theory]
    [InlineData("3Net", "Model name '3Net' cannot be used: it is not a C# identifier; use letters, digits and underscores, starting with a letter")]
    [InlineData("class", "Model name 'class' cannot be used: it is a C# keyword; choose another name")]
    [InlineData("ModelCatalog", "Model name 'ModelCatalog' cannot be used: the generated catalog class already has that name; choose another name")]
    public void TS0009_ModelNameThatIsNotAUsableClassName(string name, string message)
    {
        string yaml = $"model: {name}\ninput: 8x8x3\nlayers:\n  - {{ name: flatten, type: flatten, output: 192 }}\n";
        AssertAt(Single(yaml), yaml, "TS0009", 1, 8, name, message);
    }

    [Theory]
    [InlineData("1conv", "Layer name '1conv' cannot be used: its property name '1conv' is not a C# identifier; use letters, digits and underscores, starting with a letter")]
    [InlineData("info", "Layer name 'info' cannot be used: its property name Info is a member every generated model already has")]
    [InlineData("register_components", "Layer name 'register_components' cannot be used: its property name RegisterComponents is a member every generated model already has")]
    [InlineData("m", "Layer name 'm' cannot be used: its property name M is the model's class name, and a C# member cannot have the name of its class; rename the layer or the model")]
    public void TS0009_LayerNameThatIsNotAUsableProperty(string name, string message)
    {
        string yaml = $"model: M\ninput: 8x8x3\nlayers:\n  - {{ name: {name}, type: flatten, output: 192 }}\n";
        AssertAt(Single(yaml), yaml, "TS0009", 4, 13, name, message);
    }

    [Fact]
    public void TS0009_LayerNameThatIsAnotherRowsPaddingModule()
    {
        const string yaml = """
            model: M
            input: 8x8x3
            layers:
              - { name: conv1, type: conv, kernel: 2, filters: 4, padding: same, output: 8x8x4 }
              - { name: conv1_pad, type: conv, kernel: 1, filters: 4, output: 8x8x4 }
            """;
        AssertAt(Single(yaml), yaml, "TS0009", 5, 13, "conv1_pad",
            "Layer name 'conv1_pad' cannot be used: its property name Conv1Pad is also the padding module of conv1 (uneven padding gets its own module); rename it");
    }

    [Fact]
    public void TS0009_EveryReservedMemberIsReallyTakenInTheGeneratedClass()
    {
        // Without the check, each reserved name would give a model that does not compile cleanly.
        var run = GeneratorHarness.Run(("specs/x.yaml", "model: M\ninput: 8x8x3\nlayers:\n  - { name: flatten, type: flatten, output: 192 }\n"));
        var model = run.Output.GetTypeByMetadataName(GeneratorHarness.Namespace + ".M");
        Assert.NotNull(model);
        var reserved = typeof(SpecParser).GetField("ReservedMembers", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!.GetValue(null) as HashSet<string>;
        Assert.NotNull(reserved);
        for (var type = model; type is not null; type = type.BaseType)
            foreach (var member in type.GetMembers().Where(m => !m.IsImplicitlyDeclared && m.Name.Length > 0 && char.IsUpper(m.Name[0]) && m.DeclaredAccessibility is Accessibility.Public or Accessibility.Protected or Accessibility.ProtectedOrInternal))
                if (member.Name is not ("M" or "Flatten") && member is not INamedTypeSymbol)
                    Assert.True(reserved!.Contains(member.Name), $"{type.Name}.{member.Name} is not reserved: a layer of that name would hide it");
    }

    // ---- TS0010 / TS0011 duplicate names ------------------------------------------------

    [Fact]
    public void TS0010_DuplicateLayerNamePointsAtTheSecondName()
    {
        const string yaml = """
            model: M
            input: 8x8x3
            layers:
              - { name: conv1, type: conv, kernel: 3, filters: 4, output: 6x6x4 }
              - { name: conv1, type: conv, kernel: 3, filters: 4, output: 4x4x4 }
            """;
        AssertAt(Single(yaml), yaml, "TS0010", 5, 13, "conv1",
            "Layer name 'conv1' is already used by row 1; layer names must be unique in a model: rename one of them");
    }

    [Fact]
    public void TS0011_DuplicateModelNameAcrossSpecsPointsAtBothFilesModelValues()
    {
        const string first = "model: Twin\ninput: 8x8x3\nlayers:\n  - { name: flatten, type: flatten, output: 192 }\n";
        const string second = "# the copy\nmodel: Twin\ninput: 4x4x3\nlayers:\n  - { name: flatten, type: flatten, output: 48 }\n";
        var run = GeneratorHarness.Run(("specs/a.yaml", first), ("specs/b.yaml", second));
        var diagnostics = run.GeneratorDiagnostics.OrderBy(d => d.Location.GetLineSpan().Path, StringComparer.Ordinal).ToList();
        Assert.Equal(2, diagnostics.Count);
        AssertAt(diagnostics[0], first, "TS0011", 1, 8, "Twin",
            "Model 'Twin' is also defined in b.yaml; model names must be unique in a project: rename one of them",
            GeneratorHarness.ProjectDirectory + "specs/a.yaml");
        AssertAt(diagnostics[1], second, "TS0011", 2, 8, "Twin",
            "Model 'Twin' is also defined in a.yaml; model names must be unique in a project: rename one of them",
            GeneratorHarness.ProjectDirectory + "specs/b.yaml");
        // The first one is still generated, and only once.
        Assert.Single(run.HintNames, h => h.EndsWith(".Twin.g.cs", StringComparison.Ordinal));
    }

    // ---- TS0012 conflicting keys --------------------------------------------------------

    [Fact]
    public void TS0012_LrnWithBothSizeAndDepthRadius()
    {
        const string yaml = """
            model: M
            input: 8x8x3
            layers:
              - { name: lrn, type: lrn, size: 5, depth_radius: 2, output: 8x8x3 }
            """;
        AssertAt(Single(yaml), yaml, "TS0012", 4, 52, "2",
            "lrn has both 'size' (PyTorch/Caffe: channels in the window, alpha divided by size) and 'depth_radius' (TensorFlow: 2r+1 channels, alpha not divided); keep the one of the framework the table comes from");
    }

    // ---- TS0013-TS0016 families (base:) -------------------------------------------------
    // More cases, and the expansion itself: tests/TorchSpecs.Tests/Family/.

    private const string FamilyBase = "model: Small\ninput: 8x8x3\nlayers:\n  - { name: conv1, type: conv, kernel: 3, filters: 4, padding: 1, output: 8x8x4 }\n  - { name: flatten, type: flatten, output: 256 }\n";

    private static Diagnostic FamilyDiagnostic(string derived, string baseYaml = FamilyBase)
    {
        var run = GeneratorHarness.Run(("specs/small.yaml", baseYaml), ("specs/derived.yaml", derived));
        Assert.Null(run.Result.Results.Single().Exception);
        Assert.DoesNotContain(run.HintNames, h => h.EndsWith(".Derived.g.cs", StringComparison.Ordinal));
        return Assert.Single(run.GeneratorDiagnostics, d => d.Location.GetLineSpan().Path.EndsWith("derived.yaml", StringComparison.Ordinal));
    }

    [Fact]
    public void TS0013_UnknownBasePointsAtTheBaseValue()
    {
        const string derived = "model: Derived\nbase: Smal\n";
        AssertAt(FamilyDiagnostic(derived), derived, "TS0013", 2, 7, "Smal",
            "No spec in this project defines model 'Smal' (did you mean 'Small'?); base: names the model of another spec",
            GeneratorHarness.ProjectDirectory + "specs/derived.yaml");
    }

    [Fact]
    public void TS0014_ASpecBuiltOnItselfPointsAtItsBaseValue()
    {
        const string derived = "model: Derived\nbase: Derived\n";
        AssertAt(FamilyDiagnostic(derived), derived, "TS0014", 2, 7, "Derived",
            "Model 'Derived' is built on itself: Derived → Derived; one spec of the cycle must write its table out",
            GeneratorHarness.ProjectDirectory + "specs/derived.yaml");
    }

    [Fact]
    public void TS0015_ChangingARowTheBaseLacksPointsAtItsName()
    {
        const string derived = "model: Derived\nbase: Small\nlayers:\n  - { name: conv2, filters: 8 }\n";
        AssertAt(FamilyDiagnostic(derived), derived, "TS0015", 4, 13, "conv2",
            "There is no row 'conv2' in the table of Small to change (did you mean 'conv1'?); to add a row, say where it goes with after: <row> or before: <row>",
            GeneratorHarness.ProjectDirectory + "specs/derived.yaml");
    }

    [Fact]
    public void TS0016_ABaseWithErrorsPointsAtTheBaseValue()
    {
        const string derived = "model: Derived\nbase: Small\n";
        AssertAt(FamilyDiagnostic(derived, FamilyBase.Replace("output: 256", "output: 255")), derived, "TS0016", 2, 7, "Small",
            "Base model 'Small' has errors (in small.yaml); fix them there first",
            GeneratorHarness.ProjectDirectory + "specs/derived.yaml");
    }

    // ---- TS0301 runtime not referenced ---------------------------------------------------

    [Fact]
    public void TS0301_WithoutTheRuntimeOneDiagnosticAndNoGeneratedCode()
    {
        const string yaml = """
            model: M
            input: 8x8x3
            layers:
              - { name: flatten, type: flatten, output: 192 }
              - { name: fc, type: dense, units: 10, output: 10 }
            """;
        // The generator alone: the framework's assemblies, no TorchSharp, no TorchSpecs.Runtime.
        var trusted = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(System.IO.Path.PathSeparator);
        var references = trusted
            .Where(p => System.IO.Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal) || System.IO.Path.GetFileName(p) is "netstandard.dll")
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p));
        var compilation = Microsoft.CodeAnalysis.CSharp.CSharpCompilation.Create("NoRuntime", null, references,
            new Microsoft.CodeAnalysis.CSharp.CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        var run = GeneratorHarness.Run(new[] { new InMemorySpec(FullPath, yaml) }, compilation);

        Assert.Null(run.Result.Results.Single().Exception);
        var diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("TS0301", diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        Assert.Equal(Location.None, diagnostic.Location);
        Assert.Contains("not TorchSpecs.Runtime", diagnostic.GetMessage(CultureInfo.InvariantCulture), StringComparison.Ordinal);
        // The message docs/diagnostics.md shows (the build prints it without a file).
        Assert.Equal("error TS0301: " + diagnostic.GetMessage(CultureInfo.InvariantCulture) + "\n", DocsTests.Sections().Single(s => s.Id == "TS0301").Message!.Text);
        Assert.Empty(run.HintNames);
        Assert.Empty(run.CompilationDiagnostics);

        // The same spec with the runtime referenced is a model, and TS0301 is gone.
        var withRuntime = GeneratorHarness.Run((Path, yaml));
        Assert.Empty(withRuntime.GeneratorDiagnostics);
        Assert.Contains(withRuntime.HintNames, h => h.EndsWith("M.g.cs", StringComparison.Ordinal));
    }

    // ---- TS0101 output mismatch ---------------------------------------------------------

    [Fact]
    public void TS0101_DocumentedOutputDiffersWithTheArithmetic()
    {
        const string yaml = """
            model: M
            input: 32x32x3
            layers:
              - { name: conv1, type: conv, kernel: 5, filters: 8, output: 32x32x8 }
            """;
        AssertAt(Single(yaml), yaml, "TS0101", 4, 63, "32x32x8",
            "conv1 output is 28x28x8 but the table says 32x32x8: floor((32 + 0 - 5)/1) + 1 = 28. padding: 2 (or same) would keep 32x32: add it to the row");
    }

    [Fact]
    public void TS0101_Input224WithAlexNetConv1DocumentedAs55GetsThePaperHint()
    {
        const string yaml = """
            model: Paper
            input: 224x224x3
            layers:
              - { name: conv1, type: conv, kernel: 11, filters: 96, stride: 4, output: 55x55x96 }
            """;
        AssertAt(Single(yaml), yaml, "TS0101", 4, 76, "55x55x96",
            "conv1 output is 54x54x96 but the table says 55x55x96: floor((224 + 0 - 11)/4) + 1 = 54. " +
            "An input of 227 would give 55 (the AlexNet paper's 224 is a known slip for 227): declare that input size or add a zeropad row of 3 before conv1");
    }

    [Fact]
    public void TS0101_WrongChannelCountSaysChannelsAreFilters()
    {
        const string yaml = """
            model: M
            input: 8x8x3
            layers:
              - { name: conv1, type: conv, kernel: 3, filters: 4, output: 6x6x8 }
            """;
        AssertAt(Single(yaml), yaml, "TS0101", 4, 63, "6x6x8",
            "conv1 output is 6x6x4 but the table says 6x6x8: floor((8 + 0 - 3)/1) + 1 = 6; channels = filters = 4");
    }

    // ---- TS0102 kernel larger than the padded input -------------------------------------

    [Fact]
    public void TS0102_KernelLargerThanThePaddedInput()
    {
        const string yaml = """
            model: M
            input: 8x8x3
            layers:
              - { name: conv1, type: conv, kernel: 11, filters: 4, padding: 1, output: 1x1x4 }
            """;
        AssertAt(Single(yaml), yaml, "TS0102", 4, 13, "conv1",
            "conv1 output would be 0x0: the 11 kernel is larger than its padded 10x10 input (floor((8 + 2 - 11)/1) + 1 = 0); use a smaller kernel or stride, more padding, or a larger input");
    }

    // ---- TS0103 / TS0104 / TS0105 -------------------------------------------------------

    [Fact]
    public void TS0103_FeatureMapReachingDenseWithoutFlatten()
    {
        const string yaml = """
            model: M
            input: 8x8x3
            layers:
              - { name: fc, type: dense, units: 10, output: 10 }
            """;
        AssertAt(Single(yaml), yaml, "TS0103", 4, 13, "fc", "fc (dense) gets a 8x8x3 feature map; add a flatten row before it");
    }

    [Fact]
    public void TS0104_FlattenOfAnAlreadyFlatTensor()
    {
        const string yaml = """
            model: M
            input: 8x8x3
            layers:
              - { name: flatten, type: flatten, output: 192 }
              - { name: flatten2, type: flatten, output: 192 }
            """;
        AssertAt(Single(yaml), yaml, "TS0104", 5, 13, "flatten2",
            "flatten2 (flatten) needs an HxWxC feature map, but its input is already flat (192); move the row before the flatten row or remove it");
    }

    [Fact]
    public void TS0105_ChannelsNotDivisibleByGroups()
    {
        const string yaml = """
            model: M
            input: 8x8x3
            layers:
              - { name: conv1, type: conv, kernel: 3, filters: 4, groups: 2, output: 6x6x4 }
            """;
        AssertAt(Single(yaml), yaml, "TS0105", 4, 13, "conv1",
            "conv1 has groups: 2, which must divide both its 3 input channels and its 4 filters; change groups or filters");
    }

    // ---- TS0106 / TS0107 ----------------------------------------------------------------

    [Fact]
    public void TS0106_KerasSameAveragePoolingWithUnevenPadding()
    {
        const string yaml = """
            model: M
            input: 8x8x3
            layers:
              - { name: pool, type: avgpool, kernel: 3, stride: 2, padding: same, output: 4x4x3 }
            """;
        AssertAt(Single(yaml), yaml, "TS0106", 4, 13, "pool",
            "pool: Keras 'same' average pooling with uneven padding (0,1,0,1) has no exact libtorch equivalent; use explicit padding or a kernel/stride that pads evenly");
    }

    [Fact]
    public void TS0107_OutputTooLargeForAnInt()
    {
        const string yaml = """
            model: M
            input: 8x8x3
            layers:
              - { name: pad, type: zeropad, padding: 100000 }
            """;
        AssertAt(Single(yaml), yaml, "TS0107", 4, 13, "pad",
            "pad output would be 200008x200008x3 = 1.2001E+11 values per example, more than 2147483647: check the sizes, kernel, stride and padding of this row and of the rows above it");
    }

    // ---- TS0201 / TS0202 warnings -------------------------------------------------------

    [Fact]
    public void TS0201_DropoutAbove90PercentIsAWarningAndTheModelIsStillGenerated()
    {
        const string yaml = """
            model: M
            input: 8x8x3
            layers:
              - { name: drop, type: dropout, rate: 0.95, output: 8x8x3 }
            """;
        AssertAt(Single(yaml), yaml, "TS0201", 4, 40, "0.95",
            "dropout rate 0.95 drops more than 90% of the activations; did you mean 0.05 (the keep probability)?");
    }

    [Fact]
    public void TS0201_KerasMomentumInBatchnorm()
    {
        const string yaml = """
            model: M
            input: 8x8x3
            layers:
              - { name: bn, type: batchnorm, momentum: 0.99, output: 8x8x3 }
            """;
        AssertAt(Single(yaml), yaml, "TS0201", 4, 44, "0.99",
            "momentum 0.99 is PyTorch's weight of the new batch; Keras' momentum 0.99 is PyTorch's 0.01");
    }

    [Fact]
    public void TS0202_SoftmaxBeforeTheLastRow()
    {
        const string yaml = """
            model: M
            input: 8x8x3
            layers:
              - { name: flatten, type: flatten, output: 192 }
              - { name: fc1, type: dense, units: 10, activation: softmax, output: 10 }
              - { name: fc2, type: dense, units: 10, output: 10 }
            """;
        AssertAt(Single(yaml), yaml, "TS0202", 5, 13, "fc1",
            "fc1 applies softmax but is not the last row; softmax belongs at the output: use another activation here or move softmax to the last row");
    }

    // ---- TS0900 internal error ----------------------------------------------------------

    [Fact]
    public void TS0900_AnExceptionInInferenceBecomesADiagnosticNotACrash()
    {
        // A row the parser would never let through (a conv with groups: 0 marked complete):
        // inference throws, and the generator turns that into TS0900 at the file.
        var location = LocationInfo.FileStart(FullPath);
        var spec = new NetworkSpec
        {
            FilePath = FullPath, Model = "Broken", ModelLocation = location, Input = TorchSpecs.Generator.Model.Shape.Map(8, 8, 3),
            Layers = new LayerSpec[]
            {
                new TorchSpecs.Generator.Kinds.ConvSpec { Index = 0, Name = "conv1", PropertyName = "Conv1", Location = location, Kernel = new Pair(3, 3), Filters = 4, Groups = 0 },
            }.ToEquatableArray(),
        };
        var result = TorchSpecsGenerator.Infer(new ParsedSpec(FullPath, spec, EquatableArray<DiagnosticInfo>.Empty));
        Assert.Null(result.Plan);
        var d = Assert.Single(result.Diagnostics).ToDiagnostic();
        Assert.Equal("TS0900", d.Id);
        Assert.Equal(FullPath, d.Location.GetLineSpan().Path);
        Assert.Equal(
            "TorchSpecs could not process this spec (DivideByZeroException: Attempted to divide by zero.); please report it with the spec attached",
            d.GetMessage(CultureInfo.InvariantCulture));
    }
}
