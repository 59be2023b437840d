using System.Diagnostics;

namespace TorchSpecs.Consumer.Tests;

/// <summary>
/// docs/getting-started.md, run as written in a folder outside the repository with nothing but
/// the packages: a console project, both packages, one spec, `dotnet run` (summary, forward
/// pass, training, evaluation). Then the same project with a wrong row (the error names the YAML
/// file and line), with a TS02xx warning under TreatWarningsAsErrors (it stays a warning), and
/// with each documented way to silence it. Linux only: the packages' native fix and CPU backend
/// are tested where CI runs.
/// </summary>
public class GettingStartedTests(ITestOutputHelper log)
{
    [Fact]
    public void TheWalkthroughRunsAsDocumentedAndTheSpecDiagnosticsReachTheConsumer()
    {
        if (!OperatingSystem.IsLinux()) return;
        var total = Stopwatch.StartNew();
        var feed = PackedFeed.Get();
        log.WriteLine($"pack: {feed.Pack.Elapsed.TotalSeconds:F1} s");
        string work = feed.NewWorkFolder("getting-started");

        var run = Shell.Run(GettingStarted.Script(work), work, feed.Environment);
        log.WriteLine($"walkthrough (new, add package x2, dotnet run): {run.Elapsed.TotalSeconds:F1} s");
        Assert.True(run.ExitCode == 0, run.ToString());
        GettingStarted.AssertOutputMatches(GettingStarted.ExpectedOutput, run.Output);
        Assert.True(GettingStarted.TestAccuracy(run.Output) > 0.5, run.Output); // chance is 0.25
        string app = Path.Combine(work, "TinyApp");
        Assert.True(File.Exists(Path.Combine(app, "runs", "TinyNet", "best.ckpt")));

        // The packages' build logic ran in the consumer's build: the spec glob (the model exists),
        // the backend (it ran), the GLIBCXX fix where the system needs it (it loaded).
        string project = File.ReadAllText(Path.Combine(app, "TinyApp.csproj"));
        Assert.Contains($"<PackageReference Include=\"TorchSpecs\" Version=\"{Repo.Version}\" />", project);
        Assert.Contains($"<PackageReference Include=\"TorchSpecs.Training\" Version=\"{Repo.Version}\" />", project);

        // The spec's modeline finds the schema, which the build copied from the package.
        string specPath = Path.Combine(app, "specs", "tiny-net.yaml");
        string spec = File.ReadAllText(specPath);
        GettingStarted.AssertModelineFindsTheSchema(specPath);
        // A stale copy (an older package's) is replaced by the next build.
        string schemaCopy = Path.Combine(app, "torchspecs.schema.json");
        File.WriteAllText(schemaCopy, "{}\n");

        // A wrong row: the build fails at that row of the consumer's YAML file.
        File.WriteAllText(specPath, spec.Replace("output: 4x4x8", "output: 5x5x8", StringComparison.Ordinal));
        var broken = Build(app, "");
        Assert.NotEqual(0, broken.ExitCode);
        string documented = GettingStarted.Blocks.Single(b => b.Language == "text" && b.Text.Contains("error TS0101", StringComparison.Ordinal)).Text.Trim();
        string expectedError = Path.Combine(app, documented[..documented.IndexOf("...", StringComparison.Ordinal)]);
        Assert.Contains(expectedError, broken.Output);
        // The copy is made before the compiler runs, also by a build that fails.
        GettingStarted.AssertModelineFindsTheSchema(specPath);

        // A likely mistake (softmax before the last row) is a warning, also under TreatWarningsAsErrors;
        // and an .editorconfig does not silence it (as documented: its sections apply to source files only).
        File.WriteAllText(specPath, spec.Replace("padding: 1, activation: relu", "padding: 1, activation: softmax", StringComparison.Ordinal));
        string editorConfig = Path.Combine(app, ".editorconfig");
        File.WriteAllText(editorConfig, "root = true\n\n[*.yaml]\ndotnet_diagnostic.TS0202.severity = none\n\n[*]\ndotnet_diagnostic.TS0202.severity = none\n");
        // (And the documented opt-out: with TorchSpecsCopySchema=false the build writes no schema.)
        File.Delete(schemaCopy);
        var warned = Build(app, "-p:TreatWarningsAsErrors=true -p:TorchSpecsCopySchema=false");
        Assert.True(warned.ExitCode == 0, warned.ToString());
        Assert.False(File.Exists(schemaCopy), "TorchSpecsCopySchema=false, yet the build wrote " + schemaCopy);
        Assert.Contains($"{specPath}(8,", warned.Output);
        Assert.Contains("warning TS0202", warned.Output);
        File.Delete(editorConfig);

        // The documented ways to silence it: NoWarn in the project file ...
        string noWarn = GettingStarted.File("TinyApp/TinyApp.csproj").Text.Trim();
        File.WriteAllText(Path.Combine(app, "TinyApp.csproj"), project.Replace("</PropertyGroup>", "  " + noWarn + "\n  </PropertyGroup>", StringComparison.Ordinal));
        var silencedByNoWarn = Build(app, "-p:TreatWarningsAsErrors=true");
        Assert.True(silencedByNoWarn.ExitCode == 0, silencedByNoWarn.ToString());
        Assert.DoesNotContain("TS0202", silencedByNoWarn.Output);
        File.WriteAllText(Path.Combine(app, "TinyApp.csproj"), project);

        // ... or a .globalconfig beside it. (A copy that is current is not written again.)
        GettingStarted.AssertModelineFindsTheSchema(specPath);
        var longAgo = new DateTime(2001, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(schemaCopy, longAgo);
        string globalConfig = Path.Combine(app, ".globalconfig");
        File.WriteAllText(globalConfig, GettingStarted.File("TinyApp/.globalconfig").Text);
        var silencedByGlobalConfig = Build(app, "-p:TreatWarningsAsErrors=true");
        Assert.True(silencedByGlobalConfig.ExitCode == 0, silencedByGlobalConfig.ToString());
        Assert.DoesNotContain("TS0202", silencedByGlobalConfig.Output);
        Assert.Equal(longAgo, File.GetLastWriteTimeUtc(schemaCopy));
        File.Delete(globalConfig);

        log.WriteLine($"total: {total.Elapsed.TotalSeconds:F1} s");
        PackedFeed.Delete(work);
    }

    private Shell.Result Build(string app, string arguments)
    {
        var result = Shell.Run($"dotnet build --no-restore {arguments}", app, PackedFeed.Get().Environment);
        log.WriteLine($"dotnet build --no-restore {arguments}: exit {result.ExitCode}, {result.Elapsed.TotalSeconds:F1} s");
        return result;
    }
}
