namespace TorchSpecs.Consumer.Tests;

/// <summary>
/// The packages of this build in a temporary folder, packed once for all tests of this assembly
/// with the README's pack command (as `--no-build` of the configuration `dotnet test` built).
/// The consumer projects restore with a private NuGet packages folder: the TorchSpecs packages
/// are always the ones just packed, never a stale copy of the same version, while every other
/// package (libtorch's 500 MB included) is a link to the machine's packages folder, not a copy.
/// </summary>
internal sealed class PackedFeed
{
    private static readonly Lazy<PackedFeed> Instance = new(() => new PackedFeed(), LazyThreadSafetyMode.ExecutionAndPublication);

    public static PackedFeed Get() => Instance.Value;

    /// <summary>The temporary folder: the feed, the private packages folder, one work folder per test.</summary>
    public string Root { get; }

    /// <summary>The folder the packages are packed into.</summary>
    public string Feed => Path.Combine(Root, "packages");

    public Shell.Result Pack { get; }

    public IReadOnlyDictionary<string, string> Environment { get; }

    private PackedFeed()
    {
        // Folders an earlier run could not delete (a test host ended before its exit handler did).
        foreach (string stale in Directory.EnumerateDirectories(Path.GetTempPath(), "torchspecs-consumer-*"))
            if (Directory.GetLastWriteTimeUtc(stale) < DateTime.UtcNow.AddHours(-2)) Delete(stale);
        Root = Path.Combine(Path.GetTempPath(), "torchspecs-consumer-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Root);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Delete(Root);

        var none = new Dictionary<string, string>();
        var locals = Shell.Run("dotnet nuget locals global-packages --list", Root, none);
        Assert.True(locals.ExitCode == 0, locals.ToString());
        string machine = locals.Output.Split('\n').Select(l => l.Trim()).Single(l => l.StartsWith("global-packages:", StringComparison.Ordinal))["global-packages:".Length..].Trim();

        string packages = Path.Combine(Root, "nuget-packages");
        Directory.CreateDirectory(packages);
        if (Directory.Exists(machine))
            foreach (string dir in Directory.EnumerateDirectories(machine))
                if (!Path.GetFileName(dir).StartsWith("torchspecs", StringComparison.OrdinalIgnoreCase))
                    Directory.CreateSymbolicLink(Path.Combine(packages, Path.GetFileName(dir)), dir);
        Environment = new Dictionary<string, string> { ["NUGET_PACKAGES"] = packages };

        Pack = Shell.Run($"dotnet pack {Shell.Quote(Repo.PathOf("Generated.sln"))} -c {Repo.Configuration} --no-build -o {Shell.Quote(Feed)}", Root, Environment);
        Assert.True(Pack.ExitCode == 0, Pack.ToString());
    }

    /// <summary>Deletes a folder; its links to the machine's packages are removed, never followed.</summary>
    public static void Delete(string directory)
    {
        try { Directory.Delete(directory, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    /// <summary>A new work folder whose packages/ is the feed (as the documented pack command leaves it), with a nuget.config if given.</summary>
    public string NewWorkFolder(string name, string? nugetConfig = null)
    {
        string work = Path.Combine(Root, name);
        Directory.CreateDirectory(work);
        if (nugetConfig is not null) File.WriteAllText(Path.Combine(work, "nuget.config"), nugetConfig);
        if (!Directory.Exists(Path.Combine(work, "packages")))
            Directory.CreateSymbolicLink(Path.Combine(work, "packages"), Feed);
        return work;
    }
}
