using System.Text.Json;

namespace TorchSpecs.Consumer.Tests;

/// <summary>
/// TorchSpecsBackend picks the libtorch package per operating system and architecture. The CUDA
/// packages cannot be restored here (and other systems' builds cannot run here), so this is
/// tested by MSBuild evaluation of a consumer project that imports build/TorchSpecs.props and
/// .targets as the package does: which PackageReference items result, without restoring.
/// </summary>
public class BackendSelectionTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "torchspecs-backend-" + Guid.NewGuid().ToString("N")[..12]);

    public BackendSelectionTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Project(string outputType, string items = "")
    {
        string path = Path.Combine(_dir, $"App{outputType}{items.Length}.csproj");
        File.WriteAllText(path, $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <Import Project="{Repo.PathOf("build/TorchSpecs.props")}" />
              <PropertyGroup>
                <OutputType>{outputType}</OutputType>
                <TargetFramework>net10.0</TargetFramework>
              </PropertyGroup>
              <ItemGroup>{items}</ItemGroup>
              <Import Project="{Repo.PathOf("build/TorchSpecs.targets")}" />
            </Project>
            """);
        return path;
    }

    /// <summary>The PackageReference items (id and version) besides the project's own, by evaluation only.</summary>
    private (IReadOnlyList<(string Id, string Version)> References, string Os, string Architecture) Evaluate(string properties, string outputType = "Exe", string items = "")
    {
        var result = Shell.Run($"dotnet msbuild {Shell.Quote(Project(outputType, items))} -getItem:PackageReference -getProperty:TorchSpecsOs -getProperty:TorchSpecsArchitecture {properties}",
            _dir, new Dictionary<string, string>());
        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.Output[result.Output.IndexOf('{')..]);
        var references = json.RootElement.GetProperty("Items").TryGetProperty("PackageReference", out var found)
            ? found.EnumerateArray().Select(i => (i.GetProperty("Identity").GetString()!, i.GetProperty("Version").GetString()!)).ToList()
            : new List<(string, string)>();
        var props = json.RootElement.GetProperty("Properties");
        return (references, props.GetProperty("TorchSpecsOs").GetString()!, props.GetProperty("TorchSpecsArchitecture").GetString()!);
    }

    [Theory]
    [InlineData("cpu", "linux", "x64", "libtorch-cpu-linux-x64", "2.10.0")]
    [InlineData("cpu", "windows", "x64", "libtorch-cpu-win-x64", "2.10.0")]
    [InlineData("cpu", "windows", "arm64", "libtorch-cpu-win-arm64", "2.10.0")]
    [InlineData("cpu", "osx", "arm64", "libtorch-cpu-osx-arm64", "2.10.0")]
    [InlineData("cuda", "linux", "x64", "TorchSharp-cuda-linux", "0.107.0")]
    [InlineData("cuda", "windows", "x64", "TorchSharp-cuda-windows", "0.107.0")]
    public void EachBackendAndPlatformGetsItsPackage(string backend, string os, string architecture, string package, string version)
    {
        var (references, _, _) = Evaluate($"-p:TorchSpecsBackend={backend} -p:TorchSpecsOs={os} -p:TorchSpecsArchitecture={architecture}");
        Assert.Equal(new[] { (package, version) }, references);
    }

    [Fact]
    public void CpuIsTheDefault()
    {
        var (references, os, architecture) = Evaluate("-p:TorchSpecsOs=linux -p:TorchSpecsArchitecture=x64");
        Assert.Equal(new[] { ("libtorch-cpu-linux-x64", "2.10.0") }, references);
        // Without overrides the machine decides (Linux x64 where CI runs).
        var (_, machineOs, machineArchitecture) = Evaluate("");
        Assert.Equal(OperatingSystem.IsLinux() ? "linux" : OperatingSystem.IsWindows() ? "windows" : "osx", machineOs);
        Assert.Equal(System.Runtime.InteropServices.RuntimeInformation.OSArchitecture.ToString().ToLowerInvariant(), machineArchitecture);
        Assert.Equal(("linux", "x64"), (os, architecture));
    }

    [Theory]
    [InlineData("win-x64", "cpu", "windows", "x64", "libtorch-cpu-win-x64")]
    [InlineData("osx-arm64", "cpu", "osx", "arm64", "libtorch-cpu-osx-arm64")]
    [InlineData("linux-x64", "cuda", "linux", "x64", "TorchSharp-cuda-linux")]
    [InlineData("win-x64", "cuda", "windows", "x64", "TorchSharp-cuda-windows")]
    public void ARuntimeIdentifierPicksItsPlatformsPackage(string rid, string backend, string os, string architecture, string package)
    {
        var (references, evaluatedOs, evaluatedArchitecture) = Evaluate($"-p:RuntimeIdentifier={rid} -p:TorchSpecsBackend={backend}");
        Assert.Equal((os, architecture), (evaluatedOs, evaluatedArchitecture));
        Assert.Contains(references, r => r.Id == package);
        Assert.DoesNotContain(references, r => r.Id.StartsWith("libtorch", StringComparison.Ordinal) && r.Id != package);
    }

    [Fact]
    public void NoneAndLibrariesGetNoBackend()
    {
        Assert.Empty(Evaluate("-p:TorchSpecsBackend=none -p:TorchSpecsOs=linux -p:TorchSpecsArchitecture=x64").References);
        Assert.Empty(Evaluate("-p:TorchSpecsOs=linux -p:TorchSpecsArchitecture=x64", outputType: "Library").References);
        Assert.Equal(new[] { ("libtorch-cpu-linux-x64", "2.10.0") },
            Evaluate("-p:TorchSpecsOs=linux -p:TorchSpecsArchitecture=x64 -p:TorchSpecsReferenceBackend=true", outputType: "Library").References);
    }

    [Fact]
    public void AProjectThatReferencesTheBackendItselfKeepsItsOwnReference()
    {
        var (references, _, _) = Evaluate("-p:TorchSpecsOs=linux -p:TorchSpecsArchitecture=x64",
            items: "<PackageReference Include=\"libtorch-cpu-linux-x64\" Version=\"2.10.0\" />");
        Assert.Equal(new[] { ("libtorch-cpu-linux-x64", "2.10.0") }, references);
    }

    [Theory]
    [InlineData("cuda", "osx", "arm64", "TorchSpecsBackend 'cuda' has no libtorch package for osx-arm64")]
    [InlineData("cpu", "linux", "arm64", "TorchSpecsBackend 'cpu' has no libtorch package for linux-arm64")]
    [InlineData("rocm", "linux", "x64", "TorchSpecsBackend is 'rocm'; it must be cpu, cuda or none.")]
    public void APlatformWithoutAPackageIsAClearError(string backend, string os, string architecture, string message)
    {
        Assert.Empty(Evaluate($"-p:TorchSpecsBackend={backend} -p:TorchSpecsOs={os} -p:TorchSpecsArchitecture={architecture}").References);
        var result = Shell.Run($"dotnet msbuild {Shell.Quote(Project("Exe"))} -t:TorchSpecsCheckBackend -p:TorchSpecsBackend={backend} -p:TorchSpecsOs={os} -p:TorchSpecsArchitecture={architecture}",
            _dir, new Dictionary<string, string>());
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains(message, result.Output);
    }
}
