using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using TorchSpecs.Generator.Diagnostics;

namespace TorchSpecs.Tests.Diagnostics;

/// <summary>
/// The descriptor catalog is complete: every ID has a driver test, a docs section, and a release-tracking row that agrees with it; nothing is
/// documented or tracked that the catalog lacks.
/// </summary>
public partial class CatalogTests
{
    public static TheoryData<string> Ids()
    {
        var data = new TheoryData<string>();
        foreach (var d in DiagnosticDescriptors.All) data.Add(d.Id);
        return data;
    }

    [GeneratedRegex(@"^(TS\d{4})\s*\|\s*([^|]+?)\s*\|\s*([^|]+?)\s*\|\s*(.+?)\s*$", RegexOptions.Multiline)]
    private static partial Regex ReleaseRow();

    private static Dictionary<string, (string Category, string Severity, string Notes)> ReleaseRows()
    {
        string text = RepoFiles.Read("generator/TorchSpecs.Generator/AnalyzerReleases.Shipped.md") + "\n" +
                      RepoFiles.Read("generator/TorchSpecs.Generator/AnalyzerReleases.Unshipped.md");
        return ReleaseRow().Matches(text).ToDictionary(m => m.Groups[1].Value, m => (m.Groups[2].Value, m.Groups[3].Value, m.Groups[4].Value));
    }

    [Fact]
    public void IdsAreUniqueAndStable()
    {
        var ids = DiagnosticDescriptors.All.Select(d => d.Id).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.All(ids, id => Assert.Matches(@"^TS\d{4}$", id));
        Assert.True(ids.Count >= 21, $"only {ids.Count} descriptors");
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void DescriptorHasCategoryMessageAndNoHelpLinkToAPageThatDoesNotExist(string id)
    {
        var d = DiagnosticDescriptors.Get(id);
        Assert.Contains(d.Category, new[] { "TorchSpecs.Spec", "TorchSpecs.Shape", "TorchSpecs.Usage", "TorchSpecs.Project" });
        Assert.True(d.IsEnabledByDefault);
        Assert.False(string.IsNullOrWhiteSpace(d.Title.ToString()));
        Assert.False(string.IsNullOrWhiteSpace(d.MessageFormat.ToString()));
        // No help link until TorchSpecs has a public home: a link must point to a page that exists.
        // The help is the ID's section in docs/diagnostics.md (checked below).
        Assert.True(string.IsNullOrEmpty(d.HelpLinkUri), $"{id} links to {d.HelpLinkUri}");
        Assert.Equal(id.StartsWith("TS02", StringComparison.Ordinal) ? DiagnosticSeverity.Warning : DiagnosticSeverity.Error, d.DefaultSeverity);
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void DescriptorHasADocsSection(string id)
    {
        Assert.Contains(DocsTests.Sections(), s => s.Id == id);
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void DescriptorHasAReleaseTrackingRowThatAgrees(string id)
    {
        var d = DiagnosticDescriptors.Get(id);
        Assert.True(ReleaseRows().TryGetValue(id, out var row), $"{id} is not in AnalyzerReleases.Shipped.md or .Unshipped.md");
        Assert.Equal((d.Category, d.DefaultSeverity.ToString(), d.Title.ToString()), row);
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void DescriptorHasADriverTest(string id)
    {
        var tests = typeof(DiagnosticTests).GetMethods(BindingFlags.Public | BindingFlags.Instance)
            .Where(m => m.Name.StartsWith(id + "_", StringComparison.Ordinal))
            .Where(m => m.GetCustomAttributes<FactAttribute>().Any())
            .ToList();
        Assert.NotEmpty(tests);
        // The test checks that ID: its source names it as the expected ID.
        string source = RepoFiles.Read("tests/TorchSpecs.Tests/Diagnostics/DiagnosticTests.cs") +
                        RepoFiles.Read("tests/TorchSpecs.Tests/Diagnostics/DiagnosticTests.Robustness.cs");
        Assert.Contains($"\"{id}\"", source, StringComparison.Ordinal);
    }

    [Fact]
    public void NothingIsDocumentedOrTrackedThatTheCatalogLacks()
    {
        var ids = DiagnosticDescriptors.All.Select(d => d.Id).ToHashSet();
        Assert.DoesNotContain(DocsTests.Sections(), s => !ids.Contains(s.Id));
        Assert.DoesNotContain(ReleaseRows().Keys, id => !ids.Contains(id));
        Assert.Equal(DocsTests.Sections().Count, DocsTests.Sections().Select(s => s.Id).Distinct().Count());
    }
}
