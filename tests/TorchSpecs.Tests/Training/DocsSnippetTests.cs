using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using TorchSpecs.Tests.Diagnostics;

namespace TorchSpecs.Tests.Training;

/// <summary>
/// docs/training.md's C# blocks are programs a user would write in a project of their own
/// (implicit usings on, referencing TorchSharp, TorchSpecs.Runtime, TorchSpecs.Training and a
/// generated model): each must compile without a warning.
/// </summary>
public class DocsSnippetTests
{
    public static TheoryData<int> Blocks()
    {
        var data = new TheoryData<int>();
        for (int i = 0; i < Snippets().Count; i++) data.Add(i);
        return data;
    }

    private static IReadOnlyList<string> Snippets() =>
        Regex.Matches(RepoFiles.Read("docs/training.md").Replace("\r\n", "\n", StringComparison.Ordinal), "```csharp\n(.*?)```", RegexOptions.Singleline)
            .Select(m => m.Groups[1].Value).ToArray();

    [Fact]
    public void The_training_guide_has_csharp_blocks() => Assert.True(Snippets().Count >= 3);

    [Theory]
    [MemberData(nameof(Blocks))]
    public void Training_guide_block_compiles(int index)
    {
        string snippet = Snippets()[index];
        const string implicitUsings = "global using System; global using System.Collections.Generic; global using System.IO; global using System.Linq; global using System.Threading; global using System.Threading.Tasks;";
        var trusted = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        var references = trusted
            .Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(p) is "netstandard.dll" or "mscorlib.dll")
            .Append(typeof(TorchSharp.torch).Assembly.Location)
            .Append(typeof(TorchSpecs.ModelInfo).Assembly.Location)
            .Append(typeof(TorchSpecs.Training.Trainer).Assembly.Location)
            .Append(typeof(TorchSpecs.Models.FashionVgg).Assembly.Location)
            .Distinct()
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p));
        var parse = new CSharpParseOptions(LanguageVersion.Latest);
        var compilation = CSharpCompilation.Create("Snippet",
            new[] { CSharpSyntaxTree.ParseText(implicitUsings, parse), CSharpSyntaxTree.ParseText(snippet, parse) },
            references, new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable));
        var problems = compilation.GetDiagnostics()
            .Where(d => d.Severity >= DiagnosticSeverity.Warning && d.Id != "CS8019")   // CS8019: an unused using
            .Select(d => d.ToString()).ToArray();
        Assert.True(problems.Length == 0, $"block {index} of docs/training.md:\n{string.Join("\n", problems)}\n---\n{snippet}");
    }
}
