using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using TorchSpecs.Tests.Diagnostics;
using TorchSpecs.Tests.Infrastructure;
using Xunit.Abstractions;

namespace TorchSpecs.Tests.Schema;

/// <summary>One yaml-language-server for the editor tests.</summary>
public sealed class EditorFixture : IDisposable
{
    public YamlLanguageServer Server { get; } = new();
    public void Dispose() => Server.Dispose();
}

/// <summary>
/// The schema in the real editor engine, yaml-language-server over stdio: the repository's specs
/// and the docs' spec examples give no problems; mistakes are flagged on their line; completion
/// offers a row type's keys and the layer types.
/// </summary>
public partial class EditorTests(EditorFixture editor, ITestOutputHelper output) : IClassFixture<EditorFixture>
{
    private const string Modeline = "# yaml-language-server: $schema=../schema/torchspecs.schema.json\n";

    [GeneratedRegex(@"```yaml\n(?<text>.*?)\n```", RegexOptions.Singleline)]
    private static partial Regex YamlBlock();

    /// <summary>The docs' spec examples that must be valid: diagnostics.md's fixed specs, the specs of spec-format.md, ide.md and README.</summary>
    internal static IEnumerable<(string Name, string Text)> DocExamples()
    {
        foreach (var section in DocsTests.Sections())
        {
            int i = 0;
            foreach (var block in section.Fixed) yield return ($"diagnostics-{section.Id}-fixed-{++i}", block.Text);
        }
        foreach (var doc in new[] { "docs/spec-format.md", "docs/ide.md", "README.md" })
        {
            int i = 0;
            foreach (Match m in YamlBlock().Matches(RepoFiles.Read(doc).Replace("\r\n", "\n", StringComparison.Ordinal)))
                if (Regex.IsMatch(m.Groups["text"].Value, "^(model|base):", RegexOptions.Multiline))
                    yield return ($"{Path.GetFileNameWithoutExtension(doc)}-{++i}", m.Groups["text"].Value + "\n");
        }
    }

    /// <summary>Every spec file of the repository.</summary>
    internal static IEnumerable<string> SpecFiles() =>
        RepoFiles.Specs().Concat(Directory.EnumerateFiles(RepoFiles.PathOf("tests/TorchSpecs.Tests/specs"), "*.yaml")).OrderBy(p => p, StringComparer.Ordinal);

    [Fact]
    public void EveryRepositorySpecAndDocExampleHasNoProblem()
    {
        var documents = new Dictionary<string, string>();
        foreach (var file in SpecFiles()) documents[YamlLanguageServer.Uri(file)] = File.ReadAllText(file);
        // The docs' examples as if they were files in specs/ (where their modeline points from).
        foreach (var (name, text) in DocExamples()) documents[YamlLanguageServer.Uri(RepoFiles.PathOf($"specs/{name}.yaml"))] = text;
        foreach (var (uri, text) in documents) editor.Server.Open(uri, text);

        var problems = editor.Server.Diagnostics(documents.Keys)
            .SelectMany(d => d.Value.Select(p => $"{d.Key}:{p!["range"]!["start"]!["line"]!.GetValue<int>() + 1}: {p["message"]}"))
            .ToList();
        output.WriteLine($"{documents.Count} documents; npm ci took {YamlLanguageServer.InstallTime.TotalSeconds:F1} s in this run");
        Assert.True(documents.Count > 60, $"only {documents.Count} documents");
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    private static (int Line, int Character) Find(string text, string what)
    {
        var lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
            if (lines[i].IndexOf(what, StringComparison.Ordinal) is >= 0 and var at) return (i, at);
        throw new InvalidOperationException($"'{what}' is not in the text");
    }

    private static (int Line, int Character) Start(JsonNode problem) =>
        (problem["range"]!["start"]!["line"]!.GetValue<int>(), problem["range"]!["start"]!["character"]!.GetValue<int>());

    [Fact]
    public void AMisspeltKeyAndAWrongEnumValueAreFlaggedWhereTheBuildFlagsThem()
    {
        string text = Modeline + """
            model: Draft
            input: 8x8x3
            layers:
              - { name: conv1, type: conv, kernal: 3, filters: 4, output: 6x6x4 }
              - { name: act1, type: activation, activation: rleu }
              - { name: flatten, type: flatten }
            """ + "\n";
        string uri = YamlLanguageServer.Uri(RepoFiles.PathOf("specs/editor-mistakes.yaml"));
        editor.Server.Open(uri, text);
        var problems = editor.Server.Diagnostics(new[] { uri })[uri].Select(p => p!).ToList();
        foreach (var p in problems) output.WriteLine($"{Start(p)}: {p["message"]}");

        var misspelt = Assert.Single(problems, p => Start(p) == Find(text, "kernal"));
        Assert.Contains("kernal", misspelt["message"]!.GetValue<string>(), StringComparison.Ordinal);
        var wrongEnum = Assert.Single(problems, p => Start(p) == Find(text, "rleu"));
        Assert.Contains("\"relu\"", wrongEnum["message"]!.GetValue<string>(), StringComparison.Ordinal);

        // The build flags the same two places (TS0004 at the key, TS0003 at the value).
        var build = GeneratorHarness.Run(("specs/editor-mistakes.yaml", text)).GeneratorDiagnostics
            .Select(d => (d.Id, d.Location.GetLineSpan().StartLinePosition.Line, d.Location.GetLineSpan().StartLinePosition.Character))
            .ToList();
        Assert.Contains(("TS0004", Find(text, "kernal").Line, Find(text, "kernal").Character), build);
        Assert.Contains(("TS0003", Find(text, "rleu").Line, Find(text, "rleu").Character), build);
    }

    [Fact]
    public void CompletionOffersAConvRowsKeysAndTheLayerTypes()
    {
        string text = Modeline + "model: Draft\ninput: 32x32x3\nlayers:\n  - name: conv1\n    type: conv\n    \n  - type: \n";
        string uri = YamlLanguageServer.Uri(RepoFiles.PathOf("specs/editor-completion.yaml"));
        editor.Server.Open(uri, text);
        editor.Server.Diagnostics(new[] { uri });

        var inRow = editor.Server.Completion(uri, 6, 4);
        output.WriteLine("in the conv row: " + string.Join(", ", inRow));
        var convKeys = ParserTables.KeysOf("conv").Except(new[] { "name", "type" }).ToList();
        Assert.Empty(convKeys.Except(inRow));
        // Keys of other types are not offered.
        var others = ParserTables.RowKeys.Values.SelectMany(k => k).Distinct().Except(ParserTables.KeysOf("conv"));
        Assert.Empty(others.Intersect(inRow));

        // Hover on a key shows its description.
        var hover = editor.Server.Request("textDocument/hover", new JsonObject
        {
            ["textDocument"] = new JsonObject { ["uri"] = uri },
            ["position"] = new JsonObject { ["line"] = 5, ["character"] = 6 },
        });
        // Markdown, with its punctuation escaped.
        string shown = (hover?["contents"]?["value"]?.GetValue<string>() ?? hover?.ToJsonString() ?? "").Replace("\\", "", StringComparison.Ordinal);
        output.WriteLine("hover on type: " + shown);
        Assert.Contains(TorchSpecs.Generator.Kinds.Keys.Type.Description, shown, StringComparison.Ordinal);

        var types = editor.Server.Completion(uri, 7, 10);
        output.WriteLine("after type: " + string.Join(", ", types));
        Assert.Equal(ParserTables.LayerTypes.Keys.Order(StringComparer.Ordinal), types.Order(StringComparer.Ordinal));
    }
}
