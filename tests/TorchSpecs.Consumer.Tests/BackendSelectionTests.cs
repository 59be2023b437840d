using System.Text.Json;

namespace TorchSpecs.Consumer.Tests;

/// <summary>
/// TorchSpecsBackend picks the libtorch package per operating system and architecture. The CUDA
/// packages cannot be restored here (and other systems' builds cannot run here), so this is
/// tested by MSBuild evaluation of a consumer project that imports build/TorchSpecs.props and
/// .targets as the package does: which PackageReference items result, without restoring. All
/// cases are evaluated in one MSBuild run (one evaluation per case, each with its own properties).
/// </summary>
public sealed class BackendSelection : IDisposable
{
    public sealed record Case(string Name, string Properties, string OutputType = "Exe", string Items = "");

    public sealed record Evaluated(IReadOnlyList<(string Id, string Version)> References, string Os, string Architecture);

    public static readonly Case[] Cases =
    {
        new("cpu-linux-x64", "TorchSpecsBackend=cpu;TorchSpecsOs=linux;TorchSpecsArchitecture=x64"),
        new("cpu-windows-x64", "TorchSpecsBackend=cpu;TorchSpecsOs=windows;TorchSpecsArchitecture=x64"),
        new("cpu-windows-arm64", "TorchSpecsBackend=cpu;TorchSpecsOs=windows;TorchSpecsArchitecture=arm64"),
        new("cpu-osx-arm64", "TorchSpecsBackend=cpu;TorchSpecsOs=osx;TorchSpecsArchitecture=arm64"),
        new("cuda-linux-x64", "TorchSpecsBackend=cuda;TorchSpecsOs=linux;TorchSpecsArchitecture=x64"),
        new("cuda-windows-x64", "TorchSpecsBackend=cuda;TorchSpecsOs=windows;TorchSpecsArchitecture=x64"),
        new("cuda-osx-arm64", "TorchSpecsBackend=cuda;TorchSpecsOs=osx;TorchSpecsArchitecture=arm64"),
        new("cpu-linux-arm64", "TorchSpecsBackend=cpu;TorchSpecsOs=linux;TorchSpecsArchitecture=arm64"),
        new("default-linux-x64", "TorchSpecsOs=linux;TorchSpecsArchitecture=x64"),
        new("default-machine", "Unused=1"),
        new("rid-win-x64-cpu", "RuntimeIdentifier=win-x64;TorchSpecsBackend=cpu"),
        new("rid-osx-arm64-cpu", "RuntimeIdentifier=osx-arm64;TorchSpecsBackend=cpu"),
        new("rid-linux-x64-cuda", "RuntimeIdentifier=linux-x64;TorchSpecsBackend=cuda"),
        new("rid-win-x64-cuda", "RuntimeIdentifier=win-x64;TorchSpecsBackend=cuda"),
        new("none", "TorchSpecsBackend=none;TorchSpecsOs=linux;TorchSpecsArchitecture=x64"),
        new("library", "TorchSpecsOs=linux;TorchSpecsArchitecture=x64", OutputType: "Library"),
        new("library-opted-in", "TorchSpecsOs=linux;TorchSpecsArchitecture=x64;TorchSpecsReferenceBackend=true", OutputType: "Library"),
        new("central-package-management", "TorchSpecsOs=linux;TorchSpecsArchitecture=x64;ManagePackageVersionsCentrally=true"),
        new("own-reference", "TorchSpecsOs=linux;TorchSpecsArchitecture=x64",
            Items: "<PackageReference Include=\"libtorch-cpu-linux-x64\" Version=\"2.10.0\" />"),
    };

    public string Directory { get; } = Path.Combine(Path.GetTempPath(), "torchspecs-backend-" + Guid.NewGuid().ToString("N")[..12]);

    public IReadOnlyDictionary<string, Evaluated> Results { get; }

    public BackendSelection()
    {
        System.IO.Directory.CreateDirectory(Directory);
        var calls = new System.Text.StringBuilder();
        foreach (var c in Cases)
            calls.Append($"""
                    <MSBuild Projects="{Project(c.OutputType, c.Items)}" Targets="TorchSpecsTestReport" Properties="{c.Properties};TorchSpecsTestCase={c.Name}">
                      <Output TaskParameter="TargetOutputs" ItemName="Reported" />
                    </MSBuild>

                """);
        string driver = Path.Combine(Directory, "evaluate.proj");
        File.WriteAllText(driver, $"""
            <Project>
              <Target Name="Evaluate">
            {calls}  </Target>
            </Project>
            """);
        var result = Shell.Run($"dotnet msbuild {Shell.Quote(driver)} -t:Evaluate -getItem:Reported", Directory, new Dictionary<string, string>());
        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.Output[result.Output.IndexOf('{')..]);
        var reported = json.RootElement.GetProperty("Items").GetProperty("Reported").EnumerateArray()
            .Select(i => (Case: i.GetProperty("Case").GetString()!, Id: i.GetProperty("Identity").GetString()!,
                          Version: i.TryGetProperty("Version", out var v) && v.GetString() is { Length: > 0 } version ? version
                              : i.TryGetProperty("VersionOverride", out var o) ? "override " + o.GetString() : "",
                          Os: i.GetProperty("Os").GetString()!, Architecture: i.GetProperty("Architecture").GetString()!))
            .ToList();
        Results = Cases.ToDictionary(c => c.Name, c =>
        {
            var mine = reported.Where(r => r.Case == c.Name).ToList();
            var marker = mine.Single(r => r.Id == "(case)");
            return new Evaluated(mine.Where(r => r.Id != "(case)").Select(r => (r.Id, r.Version)).ToList(), marker.Os, marker.Architecture);
        });
    }

    /// <summary>A consumer project; its one extra target reports the PackageReference items and the platform it evaluated.</summary>
    public string Project(string outputType, string items = "")
    {
        string path = Path.Combine(Directory, $"App{outputType}{items.Length}.csproj");
        File.WriteAllText(path, $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <Import Project="{Repo.PathOf("build/TorchSpecs.props")}" />
              <PropertyGroup>
                <OutputType>{outputType}</OutputType>
                <TargetFramework>net10.0</TargetFramework>
              </PropertyGroup>
              <ItemGroup>{items}</ItemGroup>
              <Import Project="{Repo.PathOf("build/TorchSpecs.targets")}" />
              <Target Name="TorchSpecsTestReport" Returns="@(_Reported)">
                <ItemGroup>
                  <_Reported Include="@(PackageReference)" Case="$(TorchSpecsTestCase)" Os="$(TorchSpecsOs)" Architecture="$(TorchSpecsArchitecture)" />
                  <_Reported Include="(case)" Version="" Case="$(TorchSpecsTestCase)" Os="$(TorchSpecsOs)" Architecture="$(TorchSpecsArchitecture)" />
                </ItemGroup>
              </Target>
            </Project>
            """);
        return path;
    }

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}

public class BackendSelectionTests(BackendSelection selection) : IClassFixture<BackendSelection>
{
    private BackendSelection.Evaluated Of(string name) => selection.Results[name];

    [Theory]
    [InlineData("cpu-linux-x64", "libtorch-cpu-linux-x64", "2.10.0")]
    [InlineData("cpu-windows-x64", "libtorch-cpu-win-x64", "2.10.0")]
    [InlineData("cpu-windows-arm64", "libtorch-cpu-win-arm64", "2.10.0")]
    [InlineData("cpu-osx-arm64", "libtorch-cpu-osx-arm64", "2.10.0")]
    [InlineData("cuda-linux-x64", "TorchSharp-cuda-linux", "0.107.0")]
    [InlineData("cuda-windows-x64", "TorchSharp-cuda-windows", "0.107.0")]
    public void EachBackendAndPlatformGetsItsPackage(string name, string package, string version) =>
        Assert.Equal(new[] { (package, version) }, Of(name).References);

    [Fact]
    public void CpuIsTheDefaultAndTheMachineDecidesWithoutOverrides()
    {
        Assert.Equal(new[] { ("libtorch-cpu-linux-x64", "2.10.0") }, Of("default-linux-x64").References);
        var machine = Of("default-machine");
        Assert.Equal(OperatingSystem.IsLinux() ? "linux" : OperatingSystem.IsWindows() ? "windows" : "osx", machine.Os);
        Assert.Equal(System.Runtime.InteropServices.RuntimeInformation.OSArchitecture.ToString().ToLowerInvariant(), machine.Architecture);
    }

    [Theory]
    [InlineData("rid-win-x64-cpu", "windows", "x64", "libtorch-cpu-win-x64")]
    [InlineData("rid-osx-arm64-cpu", "osx", "arm64", "libtorch-cpu-osx-arm64")]
    [InlineData("rid-linux-x64-cuda", "linux", "x64", "TorchSharp-cuda-linux")]
    [InlineData("rid-win-x64-cuda", "windows", "x64", "TorchSharp-cuda-windows")]
    public void ARuntimeIdentifierPicksItsPlatformsPackage(string name, string os, string architecture, string package)
    {
        var evaluated = Of(name);
        Assert.Equal((os, architecture), (evaluated.Os, evaluated.Architecture));
        Assert.Contains(evaluated.References, r => r.Id == package);
        Assert.DoesNotContain(evaluated.References, r => (r.Id.StartsWith("libtorch", StringComparison.Ordinal) || r.Id.StartsWith("TorchSharp-cuda", StringComparison.Ordinal)) && r.Id != package);
    }

    [Fact]
    public void NoneAndLibrariesGetNoBackendUnlessTheyAskForIt()
    {
        Assert.Empty(Of("none").References);
        Assert.Empty(Of("library").References);
        Assert.Equal(new[] { ("libtorch-cpu-linux-x64", "2.10.0") }, Of("library-opted-in").References);
    }

    [Fact]
    public void WithCentralPackageManagementTheVersionIsAnOverride() =>
        Assert.Equal(new[] { ("libtorch-cpu-linux-x64", "override 2.10.0") }, Of("central-package-management").References);

    [Fact]
    public void AProjectThatReferencesTheBackendItselfKeepsItsOwnReferenceOnly() =>
        Assert.Equal(new[] { ("libtorch-cpu-linux-x64", "2.10.0") }, Of("own-reference").References);

    [Theory]
    [InlineData("cuda-osx-arm64", "TorchSpecsBackend=cuda -p:TorchSpecsOs=osx -p:TorchSpecsArchitecture=arm64", "TorchSpecsBackend 'cuda' has no libtorch package for osx-arm64")]
    [InlineData("cpu-linux-arm64", "TorchSpecsBackend=cpu -p:TorchSpecsOs=linux -p:TorchSpecsArchitecture=arm64", "TorchSpecsBackend 'cpu' has no libtorch package for linux-arm64")]
    [InlineData(null, "TorchSpecsBackend=rocm -p:TorchSpecsOs=linux -p:TorchSpecsArchitecture=x64", "TorchSpecsBackend is 'rocm'; it must be cpu, cuda or none.")]
    public void APlatformWithoutAPackageIsAClearError(string? name, string properties, string message)
    {
        if (name is not null) Assert.Empty(Of(name).References);
        var result = Shell.Run($"dotnet msbuild {Shell.Quote(selection.Project("Exe"))} -t:TorchSpecsCheckBackend -p:{properties}",
            selection.Directory, new Dictionary<string, string>());
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains(message, result.Output);
    }
}
