using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using TorchSpecs.Generator;
using TorchSpecs.Generator.Diagnostics;
using TorchSpecs.Tests.Diagnostics;
using TorchSpecs.Tests.Infrastructure;

namespace TorchSpecs.Tests.Build;

/// <summary>
/// The build settings the packages ship: the version is set once and stamped into generated
/// code, and every TS02xx warning stays a warning under TreatWarningsAsErrors.
/// (The packages themselves are tested as a consumer uses them: tests/TorchSpecs.Consumer.Tests.)
/// </summary>
public class PackagingTests
{
    [Fact]
    public void TheGeneratedCodeVersionIsTheVersionOfDirectoryBuildProps()
    {
        string version = Regex.Match(RepoFiles.Read("Directory.Build.props"), "<VersionPrefix>([^<]+)</VersionPrefix>").Groups[1].Value;
        Assert.Matches(@"^\d+\.\d+\.\d+$", version);
        Assert.Equal(version, TorchSpecsGenerator.Version);

        var run = GeneratorHarness.Run(("specs/x.yaml", "model: M\ninput: 8x8x3\nlayers:\n  - { name: flatten, type: flatten, output: 192 }\n"));
        Assert.Contains($"[global::System.CodeDom.Compiler.GeneratedCode(\"TorchSpecs.Generator\", \"{version}\")]", run.GeneratedSource("M.g.cs"));
        // The version is nowhere else in the generator's source.
        foreach (string file in Directory.EnumerateFiles(RepoFiles.PathOf("generator/TorchSpecs.Generator"), "*.cs", SearchOption.AllDirectories)
                     .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)))
            Assert.DoesNotContain($"\"{version}\"", File.ReadAllText(file));
    }

    [Fact]
    public void EveryWarningIdIsKeptAWarningUnderTreatWarningsAsErrors()
    {
        var match = Regex.Match(RepoFiles.Read("build/TorchSpecs.targets"), @"<WarningsNotAsErrors>\$\(WarningsNotAsErrors\);([^<]+)</WarningsNotAsErrors>");
        Assert.True(match.Success, "build/TorchSpecs.targets sets no WarningsNotAsErrors");
        var kept = match.Groups[1].Value.Split(';').OrderBy(id => id, StringComparer.Ordinal).ToArray();
        var warnings = DiagnosticDescriptors.All.Where(d => d.DefaultSeverity == DiagnosticSeverity.Warning).Select(d => d.Id).OrderBy(id => id, StringComparer.Ordinal).ToArray();
        Assert.NotEmpty(warnings);
        Assert.Equal(warnings, kept);
    }
}
