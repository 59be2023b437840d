using System.IO.Compression;
using System.Xml.Linq;

namespace TorchSpecs.Consumer.Tests;

/// <summary>
/// The README's pack command gives exactly the three packages, the template package and the
/// symbol packages, with their metadata and dependencies; the TorchSpecs package carries the
/// repository's build files and JSON Schema unchanged.
/// </summary>
public class PackageTests
{
    private static string V => Repo.Version;

    private static string PackagePath(string name) => Path.Combine(PackedFeed.Get().Feed, name);

    private static XElement Nuspec(string package)
    {
        using var zip = ZipFile.OpenRead(PackagePath(package));
        var entry = zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal) && !e.FullName.Contains('/'));
        using var stream = entry.Open();
        return XElement.Load(stream);
    }

    private static IReadOnlyList<string> Entries(string package)
    {
        using var zip = ZipFile.OpenRead(PackagePath(package));
        return zip.Entries.Select(e => e.FullName)
            .Where(n => !n.StartsWith("_rels/", StringComparison.Ordinal) && !n.StartsWith("package/", StringComparison.Ordinal) && n != "[Content_Types].xml")
            .OrderBy(n => n, StringComparer.Ordinal).ToList();
    }

    private static XElement Metadata(XElement nuspec) => nuspec.Elements().Single(e => e.Name.LocalName == "metadata");

    private static string? Field(XElement nuspec, string name) => Metadata(nuspec).Elements().SingleOrDefault(e => e.Name.LocalName == name)?.Value;

    private static IReadOnlyList<(string Framework, string Id, string Version)> Dependencies(XElement nuspec) =>
        Metadata(nuspec).Descendants().Where(e => e.Name.LocalName == "dependency")
            .Select(d => ((string)d.Parent!.Attribute("targetFramework")!, (string)d.Attribute("id")!, (string)d.Attribute("version")!))
            .OrderBy(d => d.Item2, StringComparer.Ordinal).ToList();

    [Fact]
    public void TheReadmeDocumentsThePackCommandThatTheTestsRun()
    {
        Assert.Contains("dotnet pack Generated.sln -c Release -o artifacts/packages", Repo.Read("README.md"));
        Assert.Contains($"<PackageReference Include=\"TorchSpecs\" Version=\"{V}\" />", Repo.Read("README.md"));
        Assert.Contains($"<PackageReference Include=\"TorchSpecs.Training\" Version=\"{V}\" />", Repo.Read("README.md"));
    }

    [Fact]
    public void EveryDocumentedPackageReferenceHasThisVersion()
    {
        var files = new[] { "README.md", "build/package-readme.md" }
            .Concat(Directory.EnumerateFiles(Repo.PathOf("docs"), "*.md").Select(f => "docs/" + Path.GetFileName(f)));
        int seen = 0;
        foreach (string file in files)
            foreach (System.Text.RegularExpressions.Match m in System.Text.RegularExpressions.Regex.Matches(Repo.Read(file), "Include=\"(TorchSpecs[.A-Za-z]*)\" Version=\"([^\"]+)\""))
            {
                Assert.True(m.Groups[2].Value == V, $"{file}: {m.Groups[1].Value} {m.Groups[2].Value}, but the version is {V}");
                seen++;
            }
        Assert.True(seen >= 4, $"only {seen} documented package references");
    }

    [Fact]
    public void ThePackageReadmeShowsTheSpecOfGettingStarted()
    {
        var spec = Markdown.Blocks(Repo.Read("build/package-readme.md")).Single(b => b.Language == "yaml");
        Assert.Equal(GettingStarted.File("TinyApp/specs/tiny-net.yaml").Text, spec.Text);
    }

    [Fact]
    public void PackingGivesExactlyTheThreePackagesTheTemplateAndTheSymbols()
    {
        if (!OperatingSystem.IsLinux()) return;
        var files = Directory.EnumerateFiles(PackedFeed.Get().Feed).Select(Path.GetFileName).OrderBy(n => n, StringComparer.Ordinal).ToArray();
        Assert.Equal(new[]
        {
            $"TorchSpecs.{V}.nupkg",
            $"TorchSpecs.Runtime.{V}.nupkg",
            $"TorchSpecs.Runtime.{V}.snupkg",
            $"TorchSpecs.Templates.{V}.nupkg",
            $"TorchSpecs.Training.{V}.nupkg",
            $"TorchSpecs.Training.{V}.snupkg",
        }, files);
    }

    [Fact]
    public void TheTorchSpecsPackageIsTheGeneratorTheBuildFilesUnchangedAndTheRuntimeDependency()
    {
        if (!OperatingSystem.IsLinux()) return;
        string package = $"TorchSpecs.{V}.nupkg";
        Assert.Equal(new[]
        {
            "README.md",
            "TorchSpecs.nuspec",
            "analyzers/dotnet/cs/TorchSpecs.Generator.dll",
            "analyzers/dotnet/cs/YamlDotNet.dll",
            "buildTransitive/GlibcxxFix.cs",
            "buildTransitive/TorchSpecs.Backend.targets",
            "buildTransitive/TorchSpecs.props",
            "buildTransitive/TorchSpecs.targets",
            "lib/net10.0/_._",
            "schema/torchspecs.schema.json",
        }, Entries(package));

        using (var zip = ZipFile.OpenRead(PackagePath(package)))
            foreach (string file in new[] { "GlibcxxFix.cs", "TorchSpecs.Backend.targets", "TorchSpecs.props", "TorchSpecs.targets" })
            {
                using var stream = zip.GetEntry("buildTransitive/" + file)!.Open();
                using var copy = new MemoryStream();
                stream.CopyTo(copy);
                Assert.True(File.ReadAllBytes(Repo.PathOf("build/" + file)).AsSpan().SequenceEqual(copy.ToArray()), $"buildTransitive/{file} differs from build/{file}");
            }

        // The schema the build logic copies into consumer projects is the repository's.
        using (var zip = ZipFile.OpenRead(PackagePath(package)))
        {
            using var stream = zip.GetEntry(GettingStarted.SchemaPath)!.Open();
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            Assert.True(File.ReadAllBytes(Repo.PathOf(GettingStarted.SchemaPath)).AsSpan().SequenceEqual(copy.ToArray()), $"the package's {GettingStarted.SchemaPath} differs from the repository's");
        }

        var nuspec = Nuspec(package);
        Assert.Equal(new[] { ("net10.0", "TorchSpecs.Runtime", V) }, Dependencies(nuspec));
    }

    [Fact]
    public void RuntimeDependsOnTorchSharpAndTrainingCarriesThePlottingAndImageLibraries()
    {
        if (!OperatingSystem.IsLinux()) return;
        // The runtime: TorchSharp, PyTorch weights (TorchSharp.PyBridge) and the ONNX writer's proto classes.
        var runtime = Dependencies(Nuspec($"TorchSpecs.Runtime.{V}.nupkg"));
        Assert.Equal(new[] { "Google.Protobuf", "OnnxSharp", "TorchSharp", "TorchSharp.PyBridge" }, runtime.Select(d => d.Id).Order(StringComparer.Ordinal));
        // Plots and image decoding only in training.
        var training = Dependencies(Nuspec($"TorchSpecs.Training.{V}.nupkg"));
        Assert.Equal(new[] { "ScottPlot", "SkiaSharp", "TorchSpecs.Runtime" }, training.Select(d => d.Id).Order(StringComparer.Ordinal));
        Assert.Equal(V, training.Single(d => d.Id == "TorchSpecs.Runtime").Version);

        Assert.Contains($"lib/net10.0/TorchSpecs.Runtime.dll", Entries($"TorchSpecs.Runtime.{V}.nupkg"));
        Assert.Contains($"lib/net10.0/TorchSpecs.Runtime.pdb", Entries($"TorchSpecs.Runtime.{V}.snupkg"));
        Assert.Contains($"lib/net10.0/TorchSpecs.Training.dll", Entries($"TorchSpecs.Training.{V}.nupkg"));
        Assert.Contains($"lib/net10.0/TorchSpecs.Training.pdb", Entries($"TorchSpecs.Training.{V}.snupkg"));
    }

    [Theory]
    [InlineData("TorchSpecs")]
    [InlineData("TorchSpecs.Runtime")]
    [InlineData("TorchSpecs.Training")]
    [InlineData("TorchSpecs.Templates")]
    public void EveryPackageHasItsMetadata(string id)
    {
        if (!OperatingSystem.IsLinux()) return;
        string package = $"{id}.{V}.nupkg";
        var nuspec = Nuspec(package);
        Assert.Equal(id, Field(nuspec, "id"));
        Assert.Equal(V, Field(nuspec, "version"));
        Assert.Equal("MIT", Field(nuspec, "license"));
        Assert.Equal("expression", (string?)Metadata(nuspec).Elements().Single(e => e.Name.LocalName == "license").Attribute("type"));
        Assert.Equal("README.md", Field(nuspec, "readme"));
        Assert.Contains("README.md", Entries(package));
        string description = Field(nuspec, "description") ?? "";
        Assert.True(description.Length > 60 && description != "Package Description", description);
        Assert.Contains("torchsharp", Field(nuspec, "tags") ?? "");
        var repository = Metadata(nuspec).Elements().Single(e => e.Name.LocalName == "repository");
        Assert.Equal("https://github.com/torchspecs/torchspecs", (string?)repository.Attribute("url"));
    }

    [Fact]
    public void TheTemplatePackageIsATemplateWithThePackageReferencesOfThisVersion()
    {
        if (!OperatingSystem.IsLinux()) return;
        string package = $"TorchSpecs.Templates.{V}.nupkg";
        var nuspec = Nuspec(package);
        Assert.Contains(Metadata(nuspec).Descendants(), e => e.Name.LocalName == "packageType" && (string?)e.Attribute("name") == "Template");
        Assert.Empty(Dependencies(nuspec));
        Assert.Equal(new[]
        {
            "README.md",
            "TorchSpecs.Templates.nuspec",
            "content/TorchSpecsApp/.template.config/template.json",
            "content/TorchSpecsApp/Program.cs",
            "content/TorchSpecsApp/TorchSpecsApp.csproj",
            "content/TorchSpecsApp/specs/tiny-net.yaml",
        }, Entries(package));
        using var zip = ZipFile.OpenRead(PackagePath(package));
        using var reader = new StreamReader(zip.GetEntry("content/TorchSpecsApp/TorchSpecsApp.csproj")!.Open());
        string project = reader.ReadToEnd();
        Assert.Contains($"<PackageReference Include=\"TorchSpecs\" Version=\"{V}\" />", project);
        Assert.DoesNotContain("TORCHSPECS_VERSION", project);
    }
}
