using System.Diagnostics;

namespace TorchSpecs.Tests.Interop;

/// <summary>
/// Debian's /usr/bin/python3 with PyTorch, torchvision or ONNX, for the tests that compare with
/// them. Where a module is missing the test reports itself skipped (Xunit.SkippableFact); the
/// committed fixtures keep the C# half running everywhere.
/// </summary>
internal static class PythonTool
{
    public const string Python = "/usr/bin/python3";
    private static readonly Dictionary<string, bool> Known = new();

    public static string Fixtures => Path.Combine(Family.FamilyModelTests.RepoRoot(), "tests", "TorchSpecs.Tests", "Interop", "Fixtures");

    public static string Fixture(string name) => Path.Combine(Fixtures, name);

    /// <summary>Skips the calling test unless python3 imports every module.</summary>
    public static void SkipUnless(params string[] modules)
    {
        string key = string.Join(",", modules);
        bool has;
        lock (Known)
        {
            if (!Known.TryGetValue(key, out has))
                Known[key] = has = File.Exists(Python) && Run(null, "-c", string.Join("; ", modules.Select(m => "import " + m))).ExitCode == 0;
        }
        Skip.IfNot(has, $"{Python} cannot import {string.Join(", ", modules)}");
    }

    /// <summary>Runs python3 with the arguments; asserts exit code 0 and returns stdout.</summary>
    public static string RunScript(string script, params string[] args)
    {
        var (code, stdout, stderr) = Run(Path.GetDirectoryName(script), new[] { script }.Concat(args).ToArray());
        Assert.True(code == 0, $"{Path.GetFileName(script)} failed ({code}):\n{stderr}");
        return stdout;
    }

    private static (int ExitCode, string Stdout, string Stderr) Run(string? workingDirectory, params string[] args)
    {
        try
        {
            var start = new ProcessStartInfo(Python) { RedirectStandardError = true, RedirectStandardOutput = true, WorkingDirectory = workingDirectory ?? "" };
            foreach (var arg in args) start.ArgumentList.Add(arg);
            start.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
            using var p = Process.Start(start)!;
            var stderr = p.StandardError.ReadToEndAsync();
            string stdout = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            return (p.ExitCode, stdout, stderr.Result);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (-1, "", e.Message);
        }
    }
}
