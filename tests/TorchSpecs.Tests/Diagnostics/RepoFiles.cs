namespace TorchSpecs.Tests.Diagnostics;

/// <summary>Files of the repository the tests read: the specs, the docs, the release tracking.</summary>
internal static class RepoFiles
{
    private static readonly Lazy<string> RootDirectory = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Generated.sln")) && Directory.Exists(Path.Combine(dir.FullName, "specs")))
                return dir.FullName;
        throw new InvalidOperationException($"No repository root (a folder with Generated.sln and specs/) above {AppContext.BaseDirectory}");
    });

    public static string Root => RootDirectory.Value;

    public static string PathOf(string relative) => Path.Combine(Root, relative);

    public static string Read(string relative) => File.ReadAllText(PathOf(relative));

    /// <summary>Every real spec: specs/**/*.yaml, in path order.</summary>
    public static IReadOnlyList<string> Specs() => Directory
        .EnumerateFiles(PathOf("specs"), "*.yaml", SearchOption.AllDirectories)
        .Where(p => !p.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}") && !p.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}"))
        .OrderBy(p => p, StringComparer.Ordinal)
        .ToList();
}
