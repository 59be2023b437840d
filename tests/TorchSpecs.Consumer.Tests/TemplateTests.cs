using System.Diagnostics;

namespace TorchSpecs.Consumer.Tests;

/// <summary>
/// The template package: installed into a temporary template hive (the machine's template list
/// is untouched), `dotnet new torchspecs`, then `dotnet run`: the project is the documented
/// one (same spec, same program, same output) under the new project's name.
/// </summary>
public class TemplateTests(ITestOutputHelper log)
{
    [Fact]
    public void DotnetNewTorchSpecsMakesAProjectThatSummarizesTrainsAndEvaluates()
    {
        if (!OperatingSystem.IsLinux()) return;
        var total = Stopwatch.StartNew();
        var feed = PackedFeed.Get();
        string work = feed.NewWorkFolder("template", GettingStarted.File("nuget.config").Text);
        string hive = Path.Combine(work, "template-hive");
        string package = Path.Combine(feed.Feed, $"TorchSpecs.Templates.{Repo.Version}.nupkg");

        var created = Shell.Run(
            $"dotnet new install {Shell.Quote(package)} --debug:custom-hive {Shell.Quote(hive)}\n" +
            $"dotnet new torchspecs -o MyModels --debug:custom-hive {Shell.Quote(hive)}", work, feed.Environment);
        log.WriteLine($"dotnet new install, dotnet new torchspecs: {created.Elapsed.TotalSeconds:F1} s");
        Assert.True(created.ExitCode == 0, created.ToString());

        string app = Path.Combine(work, "MyModels");
        string project = File.ReadAllText(Path.Combine(app, "MyModels.csproj"));
        Assert.Contains($"<PackageReference Include=\"TorchSpecs\" Version=\"{Repo.Version}\" />", project);
        Assert.Contains($"<PackageReference Include=\"TorchSpecs.Training\" Version=\"{Repo.Version}\" />", project);
        Assert.Equal(GettingStarted.File("TinyApp/specs/tiny-net.yaml").Text, File.ReadAllText(Path.Combine(app, "specs", "tiny-net.yaml")));
        Assert.Equal(GettingStarted.File("TinyApp/Program.cs").Text.Replace("TinyApp", "MyModels", StringComparison.Ordinal),
            File.ReadAllText(Path.Combine(app, "Program.cs")));

        var run = Shell.Run("dotnet run", app, feed.Environment);
        log.WriteLine($"dotnet run: {run.Elapsed.TotalSeconds:F1} s");
        Assert.True(run.ExitCode == 0, run.ToString());
        GettingStarted.AssertOutputMatches(GettingStarted.ExpectedOutput, run.Output);
        Assert.True(GettingStarted.TestAccuracy(run.Output) > 0.5, run.Output);
        GettingStarted.AssertModelineFindsTheSchema(Path.Combine(app, "specs", "tiny-net.yaml"));

        // The machine's own template list does not know the template.
        var list = Shell.Run("dotnet new list torchspecs", work, feed.Environment);
        Assert.DoesNotContain("TorchSpecs console app", list.Output);
        log.WriteLine($"total: {total.Elapsed.TotalSeconds:F1} s");
        PackedFeed.Delete(work);
    }
}
