using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using TorchSpecs.Generator.Diagnostics;
using TorchSpecs.Tests.Infrastructure;

namespace TorchSpecs.Tests.Diagnostics;

/// <summary>
/// docs/diagnostics.md is checked, not trusted: each section's wrong spec must give exactly the
/// diagnostics the section shows, and its fixed spec none.
/// </summary>
public partial class DocsTests
{
    internal sealed record Block(string Language, string? File, string Text);

    internal sealed record Section(string Id, IReadOnlyList<Block> Blocks)
    {
        public IEnumerable<Block> Wrong => Blocks.TakeWhile(b => b.Language != "text").Where(b => b.Language == "yaml");
        public Block? Message => Blocks.FirstOrDefault(b => b.Language == "text");
        public IEnumerable<Block> Fixed => Blocks.SkipWhile(b => b.Language != "text").Where(b => b.Language == "yaml");
    }

    [GeneratedRegex(@"^## (TS\d{4})\s*$", RegexOptions.Multiline)]
    private static partial Regex SectionHeading();

    [GeneratedRegex(@"(?:File `(?<file>[^`]+)`:\s*\n\s*\n)?```(?<lang>\w+)\n(?<text>.*?)\n```", RegexOptions.Singleline)]
    private static partial Regex CodeBlock();

    internal static IReadOnlyList<Section> Sections()
    {
        string docs = RepoFiles.Read("docs/diagnostics.md").Replace("\r\n", "\n", StringComparison.Ordinal);
        var headings = SectionHeading().Matches(docs);
        var sections = new List<Section>();
        for (int i = 0; i < headings.Count; i++)
        {
            int start = headings[i].Index, end = i + 1 < headings.Count ? headings[i + 1].Index : docs.Length;
            var blocks = CodeBlock().Matches(docs.Substring(start, end - start))
                .Select(m => new Block(m.Groups["lang"].Value, m.Groups["file"].Success ? m.Groups["file"].Value : null, m.Groups["text"].Value + "\n"))
                .ToList();
            sections.Add(new Section(headings[i].Groups[1].Value, blocks));
        }
        return sections;
    }

    public static TheoryData<string> DocumentedIds()
    {
        var data = new TheoryData<string>();
        foreach (var section in Sections().Where(s => s.Wrong.Any())) data.Add(section.Id);
        return data;
    }

    private static string Format(Diagnostic d)
    {
        var span = d.Location.GetLineSpan();
        string path = span.Path.StartsWith(GeneratorHarness.ProjectDirectory, StringComparison.Ordinal)
            ? span.Path.Substring(GeneratorHarness.ProjectDirectory.Length)
            : span.Path;
        return $"{path}({span.StartLinePosition.Line + 1},{span.StartLinePosition.Character + 1}): " +
               $"{d.Severity.ToString().ToLowerInvariant()} {d.Id}: {d.GetMessage(CultureInfo.InvariantCulture)}";
    }

    private static GeneratorRun Run(IEnumerable<Block> specs) =>
        GeneratorHarness.Run(specs.Select(b => (b.File ?? "specs/x.yaml", b.Text)).ToArray());

    [Theory]
    [MemberData(nameof(DocumentedIds))]
    public void WrongSpecGivesExactlyTheDocumentedDiagnostics(string id)
    {
        var section = Sections().Single(s => s.Id == id);
        Assert.NotNull(section.Message);
        var expected = section.Message!.Text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var run = Run(section.Wrong);
        Assert.Null(run.Result.Results.Single().Exception);
        Assert.Equal(expected, run.GeneratorDiagnostics.Select(Format).ToArray());
        Assert.Contains(run.GeneratorDiagnostics, d => d.Id == id);
    }

    [Theory]
    [MemberData(nameof(DocumentedIds))]
    public void FixedSpecGivesNoDiagnosticAndBecomesAModel(string id)
    {
        var section = Sections().Single(s => s.Id == id);
        var specs = section.Fixed.ToList();
        Assert.NotEmpty(specs);
        var run = Run(specs);
        Assert.Empty(run.GeneratorDiagnostics.Select(Format));
        Assert.Empty(run.CompilationDiagnostics.Select(d => d.ToString()));
        Assert.Equal(specs.Count, run.HintNames.Count(h => !h.EndsWith("ModelCatalog.g.cs", StringComparison.Ordinal)));
    }

    [Fact]
    public void EveryIdButTheInternalErrorHasAWrongAndAFixedExample()
    {
        var withoutExample = Sections().Where(s => !s.Wrong.Any() || !s.Fixed.Any()).Select(s => s.Id).ToArray();
        // TS0017 takes more than 100 mistakes to show; DiagnosticTests.TS0017_* builds one.
        Assert.Equal(new[] { DiagnosticDescriptors.MoreDiagnostics.Id, DiagnosticDescriptors.InternalError.Id }, withoutExample);
    }
}
