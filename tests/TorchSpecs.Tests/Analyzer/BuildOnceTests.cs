using System.Diagnostics;
using System.Text.RegularExpressions;

namespace TorchSpecs.Tests.Analyzer;

/// <summary>
/// A real <c>dotnet build</c> of a small project outside the repository that uses the generator
/// assembly this test run built (as a package would: an Analyzer item, the TorchSpecsSpec
/// metadata made visible to the compiler): each TS diagnostic of its broken spec is printed
/// exactly once, the generator and the analyzer never both reporting it.
/// </summary>
public partial class BuildOnceTests
{
    private const string BrokenSpec = """
        # Two errors and a warning, each to be printed once.
        model: Broken
        input: 8x8x3
        layers:
          - { name: conv1, type: conv, kernel: 3, filter: 4, output: 6x6x4 }
          - { name: pool1, type: maxpool, kernel: 2, output: 4x4x4 }
          - { name: flatten, type: flatten }
          - { name: drop, type: dropout, rate: 0.95 }
          - { name: fc, type: dense, units: 10 }
        """;

    [GeneratedRegex(@"^(?<file>\S+?)\((?<line>\d+),(?<col>\d+)\): (?<sev>error|warning) (?<id>TS\d{4}): (?<msg>.*?)(?: \[[^\]]*\])?$", RegexOptions.Multiline)]
    private static partial Regex TsLine();

    [Fact]
    public void EachDiagnosticOfABrokenSpecIsPrintedOnce()
    {
        using var dir = new TempDirectory();
        string bin = AppContext.BaseDirectory;
        Directory.CreateDirectory(dir.File("specs"));
        File.WriteAllText(dir.File("specs/broken.yaml"), BrokenSpec + "\n");
        File.WriteAllText(dir.File("Consumer.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <RootNamespace>Consumer</RootNamespace>
                <UseSharedCompilation>false</UseSharedCompilation>
              </PropertyGroup>
              <ItemGroup>
                <Analyzer Include="{bin}TorchSpecs.Generator.dll" />
                <Analyzer Include="{bin}YamlDotNet.dll" />
                <Reference Include="{bin}TorchSpecs.Runtime.dll" />
                <AdditionalFiles Include="specs/*.yaml" TorchSpecsSpec="true" />
                <CompilerVisibleItemMetadata Include="AdditionalFiles" MetadataName="TorchSpecsSpec" />
              </ItemGroup>
            </Project>
            """);

        var (code, output) = DotnetBuild(dir.Path);
        // MSBuild prints the diagnostics as they come, then repeats them after "Build FAILED." with
        // the counts: the first part lists each once, and the counts are the numbers logged.
        int summary = output.IndexOf("Build FAILED.", StringComparison.Ordinal);
        Assert.True(summary > 0, "no build summary:\n" + output);
        var printed = TsLine().Matches(output.Substring(0, summary)).Select(m => $"{m.Groups["file"].Value}({m.Groups["line"].Value},{m.Groups["col"].Value}): {m.Groups["sev"].Value} {m.Groups["id"].Value}").ToList();

        Assert.True(code != 0, "the build of a broken spec must fail:\n" + output);
        string file = Path.Combine(dir.Path, "specs", "broken.yaml");
        var expected = new[]
        {
            $"{file}(5,43): error TS0004",
            $"{file}(6,54): error TS0101",
            $"{file}(8,40): warning TS0201",
        };
        Assert.True(expected.SequenceEqual(printed.Order(StringComparer.Ordinal)), $"expected each of\n{string.Join("\n", expected)}\nonce; the build printed:\n{output}");
        Assert.Contains("    1 Warning(s)\n    2 Error(s)", output.Replace("\r\n", "\n", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.DoesNotContain("CS8785", output, StringComparison.Ordinal);
        Assert.DoesNotContain("AD0001", output, StringComparison.Ordinal);
    }

    internal static (int ExitCode, string Output) DotnetBuild(string directory)
    {
        var start = new ProcessStartInfo("dotnet", "build -nologo -nodeReuse:false -tl:off -v:m")
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // The test host's MSBuild settings belong to the test run's build, not to this one.
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase) || k.StartsWith("MSBuild", StringComparison.Ordinal)).ToList())
            start.Environment.Remove(key);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("dotnet build did not finish in 3 minutes:\n" + stdout);
        }
        return (process.ExitCode, stdout + stderr.Result);
    }
}
