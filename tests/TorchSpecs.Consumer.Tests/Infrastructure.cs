using System.Diagnostics;
using System.Reflection;
using System.Text.RegularExpressions;

namespace TorchSpecs.Consumer.Tests;

/// <summary>The repository this test runs in, and the build configuration it was built with.</summary>
internal static partial class Repo
{
    private static readonly Lazy<string> RootDirectory = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Generated.sln")) && Directory.Exists(Path.Combine(dir.FullName, "build")))
                return dir.FullName;
        throw new InvalidOperationException($"No repository root (a folder with Generated.sln and build/) above {AppContext.BaseDirectory}");
    });

    public static string Root => RootDirectory.Value;

    public static string PathOf(string relative) => Path.Combine(Root, relative);

    public static string Read(string relative) => File.ReadAllText(PathOf(relative)).Replace("\r\n", "\n", StringComparison.Ordinal);

    /// <summary>Debug or Release: the configuration `dotnet test` built, which the tests pack with --no-build.</summary>
    public static string Configuration { get; } = typeof(Repo).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "Configuration").Value!;

    [GeneratedRegex(@"<VersionPrefix>([^<]+)</VersionPrefix>")]
    private static partial Regex VersionPrefix();

    /// <summary>The packages' version: VersionPrefix in Directory.Build.props.</summary>
    public static string Version { get; } = VersionPrefix().Match(Read("Directory.Build.props")).Groups[1].Value;
}

/// <summary>
/// Runs bash scripts (dotnet commands) the way a user's shell would: outside the repository,
/// without the MSBuild variables the test host inherits from `dotnet test`, output to a log file.
/// </summary>
internal static class Shell
{
    public sealed record Result(int ExitCode, string Output, TimeSpan Elapsed)
    {
        public override string ToString() => $"exit {ExitCode} after {Elapsed.TotalSeconds:F1} s\n{Output}";
    }

    private static int _count;

    public static Result Run(string script, string workingDirectory, IReadOnlyDictionary<string, string> environment, TimeSpan? timeout = null)
    {
        string log = Path.Combine(Path.GetTempPath(), $"torchspecs-consumer-{Environment.ProcessId}-{Interlocked.Increment(ref _count)}.log");
        var start = new ProcessStartInfo("/bin/bash")
        {
            WorkingDirectory = workingDirectory,
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        // Everything goes to the log: the MSBuild and compiler servers the commands may leave
        // behind hold that file, never a pipe of this process or of `dotnet test`.
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add($"exec >'{log}' 2>&1 </dev/null\nset -euo pipefail\n{script}");
        foreach (string key in start.Environment.Keys.ToList())
            if (key.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase) || key.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase) ||
                key.StartsWith("TESTINGPLATFORM", StringComparison.OrdinalIgnoreCase) || key == "NUGET_PACKAGES")
                start.Environment.Remove(key);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        start.Environment["DOTNET_CLI_WORKLOAD_UPDATE_NOTIFY_DISABLE"] = "1";
        start.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        start.Environment["MSBUILDTERMINALLOGGER"] = "off";
        foreach (var (key, value) in environment) start.Environment[key] = value;

        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        if (!process.WaitForExit(timeout ?? TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"timed out after {clock.Elapsed.TotalSeconds:F0} s: {script}\n{ReadLog(log)}");
        }
        process.WaitForExit();
        return new Result(process.ExitCode, ReadLog(log), clock.Elapsed);
    }

    private static string ReadLog(string log)
    {
        if (!File.Exists(log)) return "";
        string text = File.ReadAllText(log);
        File.Delete(log);
        return text;
    }

    /// <summary>A shell word in single quotes.</summary>
    public static string Quote(string value) => "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}

/// <summary>The fenced blocks of a Markdown file, each with the `File `path`:` line before it, if any.</summary>
internal static partial class Markdown
{
    public sealed record Block(string Language, string? File, string Text, int Offset);

    [GeneratedRegex(@"(?:File `(?<file>[^`]+)`[^\n]*:\s*\n\s*\n)?```(?<lang>\w*)\n(?<text>.*?)\n```", RegexOptions.Singleline)]
    private static partial Regex FencedBlock();

    public static IReadOnlyList<Block> Blocks(string markdown) => FencedBlock().Matches(markdown)
        .Select(m => new Block(m.Groups["lang"].Value, m.Groups["file"].Success ? m.Groups["file"].Value : null, m.Groups["text"].Value + "\n", m.Index))
        .ToList();
}
