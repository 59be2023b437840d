using TorchSpecs.Generator.Diagnostics;
using TorchSpecs.Generator.Inference;
using TorchSpecs.Generator.Model;
using TorchSpecs.Generator.Parsing;
using TorchSpecs.Tests.Diagnostics;

namespace TorchSpecs.Tests.Family;

/// <summary>
/// One reader: a spec without a base is a family chain of one, so a spec read as the base of a
/// trivial derived spec (<c>model: Wrapped, base: X</c>, nothing else) reports in its own file
/// exactly what it reports alone: the same IDs, messages and places, parse and shape alike.
/// Checked for every spec of the repository and of the tests, every wrong spec of
/// docs/diagnostics.md and of the per-ID driver tests, and the cases where the two readers used
/// to disagree.
/// </summary>
public class OneReaderTests
{
    /// <summary>Specs where the plain and the family reader used to disagree (issue 12 §2), each as one file.</summary>
    private static readonly (string Name, string Yaml)[] Disagreements =
    {
        ("misspelt input with a batchnorm rule", "model: Tiny\ninptu: 8x8x3\nbatchnorm: after_conv\nlayers:\n  - { name: conv1, type: conv, kernel: 3, filters: 4, output: 6x6x4 }\n"),
        ("invalid model name with a batchnorm rule", "model: tiny net\ninput: 8x8x3\nbatchnorm: after_conv\nlayers:\n  - { name: conv1, type: conv, kernel: 3, filters: 4, output: 7x7x4 }\n"),
        ("missing layers with a batchnorm rule", "model: Tiny\ninput: 8x8x3\nbatchnorm: after_conv\n"),
        ("a row that is not a mapping", "model: Tiny\ninput: 8x8x3\nlayers:\n  - conv\n  - { name: flatten, type: flatten, output: 192 }\n"),
        ("an edit key without a base", "model: Tiny\ninput: 8x8x3\nlayers:\n  - { after: x, name: flatten, type: flatten }\n"),
        ("a bad defaults value", "model: Tiny\ninput: 8x8x3\ndefaults: { bias_init: big }\nlayers:\n  - { type: conv, kernel: 3, filters: 4 }\n  - { type: conv, kernel: 3, filters: 4 }\n"),
    };

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var spec in RepoFiles.Specs()) data.Add("repo:" + Path.GetRelativePath(RepoFiles.Root, spec).Replace('\\', '/'));
        foreach (var spec in Directory.EnumerateFiles(RepoFiles.PathOf("tests/TorchSpecs.Tests/specs"), "*.yaml").Order(StringComparer.Ordinal))
            data.Add("repo:" + Path.GetRelativePath(RepoFiles.Root, spec).Replace('\\', '/'));
        foreach (var section in DocsTests.Sections().Where(s => s.Wrong.Count() == 1 && s.Wrong.Single().File is null))
            data.Add("docs:" + section.Id);
        foreach (var (name, _) in Disagreements) data.Add("case:" + name);
        for (int i = 0; i < DiagnosticTestInputs().Count; i++) data.Add("test:" + i);
        return data;
    }

    /// <summary>
    /// The wrong specs of the per-ID driver tests (DiagnosticTests.cs): every raw string literal
    /// (<c>"""</c> ... <c>"""</c>, not interpolated) that is a spec, read from the test's source.
    /// </summary>
    internal static IReadOnlyList<string> DiagnosticTestInputs()
    {
        string source = RepoFiles.Read("tests/TorchSpecs.Tests/Diagnostics/DiagnosticTests.cs").Replace("\r\n", "\n", StringComparison.Ordinal);
        var specs = new List<string>();
        foreach (System.Text.RegularExpressions.Match m in System.Text.RegularExpressions.Regex.Matches(source, "(?<!\\$)\"\"\"\n(?<body>.*?)\n(?<indent>[ ]*)\"\"\"", System.Text.RegularExpressions.RegexOptions.Singleline))
        {
            string indent = m.Groups["indent"].Value;
            var lines = m.Groups["body"].Value.Split('\n').Select(l => l.StartsWith(indent, StringComparison.Ordinal) ? l.Substring(indent.Length) : l.TrimStart());
            string text = string.Join("\n", lines) + "\n";
            if (text.Contains("model:", StringComparison.Ordinal) || text.Contains("layers:", StringComparison.Ordinal)) specs.Add(text);
        }
        return specs;
    }

    [Fact]
    public void TheDriverTestsInputsAreFound() => Assert.True(DiagnosticTestInputs().Count >= 20, $"{DiagnosticTestInputs().Count} specs found in DiagnosticTests.cs");

    [Theory]
    [MemberData(nameof(Cases))]
    public void ASpecReadAsTheBaseOfATrivialDerivedSpecReportsWhatItReportsAlone(string which)
    {
        var chain = ChainOf(which);
        var self = chain[^1];
        var alone = Diagnose(chain, self.FilePath);
        var wrapped = chain.Append(Source("/project/specs/wrapped.yaml", $"model: Wrapped\nbase: {self.Model ?? "Missing"}\n")).ToList();
        // Read as a base, a row's diagnostics say that the wrapper inherits it; otherwise they are the same.
        var asBase = Diagnose(wrapped, self.FilePath).Select(d => d.Replace($" (inherited from {self.Model})", "", StringComparison.Ordinal)).ToList();
        Assert.Equal(alone, asBase);

        // A base that reads cleanly gives the wrapper the same table.
        var plain = SpecParser.ParseFamily(chain);
        var derived = SpecParser.ParseFamily(wrapped);
        if (!plain.HasErrors && plain.Spec is { Model.Length: > 0 } spec)
        {
            Assert.Empty(derived.Diagnostics);
            Assert.Equal(spec.Input, derived.Spec!.Input);
            Assert.Equal(spec.Layers.Select(Table), derived.Spec.Layers.Select(Table));
        }
        else if (alone.Any(d => d.StartsWith("error", StringComparison.Ordinal)))
        {
            Assert.Contains(derived.Diagnostics, d => d.Id == "TS0016");
        }
    }

    [Fact]
    public void AMisspeltInputIsOneErrorWithOrWithoutABatchnormRule()
    {
        var plain = SpecParser.Parse("/project/specs/x.yaml", "model: Tiny\ninptu: 8x8x3\nlayers:\n  - { name: conv1, type: conv, kernel: 3, filters: 4 }\n");
        var rule = SpecParser.Parse("/project/specs/x.yaml", "model: Tiny\ninptu: 8x8x3\nbatchnorm: after_conv\nlayers:\n  - { name: conv1, type: conv, kernel: 3, filters: 4 }\n");
        Assert.Equal("TS0004", Assert.Single(plain.Diagnostics).Id);
        Assert.Equal("TS0004", Assert.Single(rule.Diagnostics).Id);
    }

    [Fact]
    public void WithABatchnormRuleAnInvalidModelNameStillChecksShapesAndAMissingLayersKeyKeepsItsExample()
    {
        var invalid = TorchSpecs.Tests.Diagnostics.DiagnosticTests.Run(Disagreements.Single(d => d.Name == "invalid model name with a batchnorm rule").Yaml);
        Assert.Equal(new[] { "TS0009", "TS0101" }, invalid.Select(d => d.Id).OrderBy(i => i, StringComparer.Ordinal));

        var missing = Assert.Single(TorchSpecs.Tests.Diagnostics.DiagnosticTests.Run(Disagreements.Single(d => d.Name == "missing layers with a batchnorm rule").Yaml));
        Assert.Equal("The spec needs 'layers': the list of layer rows, one - { name: conv1, type: conv, ... } per line", missing.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>A row as the table has it; documented outputs are the document's (a derived spec that changes rows re-infers inherited ones).</summary>
    private static LayerSpec Table(LayerSpec l) => l with { InheritedFrom = null, Output = null, OutputLocation = null };

    /// <summary>A case's chain of sources, root first (a repository spec brings its bases).</summary>
    private static List<SpecSource> ChainOf(string which)
    {
        string kind = which.Substring(0, which.IndexOf(':')), name = which.Substring(which.IndexOf(':') + 1);
        if (kind == "docs") return new() { Source("/project/specs/x.yaml", DocsTests.Sections().Single(s => s.Id == name).Wrong.Single().Text) };
        if (kind == "case") return new() { Source("/project/specs/x.yaml", Disagreements.Single(d => d.Name == name).Yaml) };
        if (kind == "test") return new() { Source("/project/specs/x.yaml", DiagnosticTestInputs()[int.Parse(name, System.Globalization.CultureInfo.InvariantCulture)]) };
        var all = RepoFiles.Specs().Select(p => Source(p, File.ReadAllText(p))).ToList();
        var self = Source(RepoFiles.PathOf(name), File.ReadAllText(RepoFiles.PathOf(name)));
        var chain = new List<SpecSource> { self };
        while (chain[0].Base is { } b && all.FirstOrDefault(s => s.Model == b) is { } next && chain.Count < 10) chain.Insert(0, next);
        return chain;
    }

    private static SpecSource Source(string path, string text) => SpecParser.ReadHeader(path, text);

    /// <summary>Parse and shape diagnostics of reading <paramref name="chain"/>, those in <paramref name="file"/>, as the build prints them.</summary>
    private static List<string> Diagnose(IReadOnlyList<SpecSource> chain, string file)
    {
        var (_, spec, diagnostics) = SpecParser.ReadChain(chain);
        var all = diagnostics.AsEnumerable();
        if (spec is not null) all = all.Concat(ShapeInference.Run(spec).Diagnostics);
        return all.Where(d => d.Location.FilePath == file).Select(Format).ToList();
    }

    private static string Format(DiagnosticInfo info)
    {
        var d = info.ToDiagnostic();
        var span = d.Location.GetLineSpan();
        return $"{d.Severity.ToString().ToLowerInvariant()} {d.Id} ({span.StartLinePosition.Line + 1},{span.StartLinePosition.Character + 1}): {d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}";
    }
}
