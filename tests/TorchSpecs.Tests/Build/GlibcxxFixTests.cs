namespace TorchSpecs.Tests.Build;

/// <summary>
/// The native-library fix of build/GlibcxxFix.cs, on the real libLibTorchSharp.so: the patcher's
/// logic on a copy from the NuGet cache, and what the build left in this test's own output.
/// </summary>
public class GlibcxxFixTests
{
    private static string NuGetCopy()
    {
        string home = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        return Path.Combine(home, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
    }

    private static string OutputCopy() =>
        Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");

    private static List<TorchSpecsElfVersionNeeds.Need> LibStdCppNeeds(byte[] elf) =>
        TorchSpecsElfVersionNeeds.ReadNeeds(elf).Where(n => n.File == "libstdc++.so.6").ToList();

    [Fact]
    public void PatchRewritesOnlyTheGlibcxx3432Need()
    {
        if (!OperatingSystem.IsLinux()) return;
        byte[] original = File.ReadAllBytes(NuGetCopy());
        Assert.Contains(LibStdCppNeeds(original), n => n.Version == "GLIBCXX_3.4.32");

        byte[] patched = (byte[])original.Clone();
        Assert.True(TorchSpecsElfVersionNeeds.TryPatch(patched, out string reason), reason);

        var before = LibStdCppNeeds(original);
        var after = LibStdCppNeeds(patched);
        Assert.DoesNotContain(after, n => n.Version == "GLIBCXX_3.4.32");
        Assert.Equal(before.Count, after.Count);
        var replacement = before.Single(n => n.Version == "GLIBCXX_3.4.30");
        Assert.Equal(0x0297f840u, replacement.Hash);
        Assert.Equal(2, after.Count(n => n.Version == "GLIBCXX_3.4.30" && n.Hash == replacement.Hash));

        // Only vna_hash and vna_name of one entry change: at most 8 bytes, in practice 3.
        int changed = original.Zip(patched).Count(p => p.First != p.Second);
        Assert.InRange(changed, 1, 8);
        Assert.Equal(original.Length, patched.Length);
    }

    [Fact]
    public void PatchIsIdempotent()
    {
        if (!OperatingSystem.IsLinux()) return;
        byte[] bytes = File.ReadAllBytes(NuGetCopy());
        Assert.True(TorchSpecsElfVersionNeeds.TryPatch(bytes, out _));
        byte[] once = (byte[])bytes.Clone();
        Assert.False(TorchSpecsElfVersionNeeds.TryPatch(bytes, out string reason));
        Assert.Contains("does not need GLIBCXX_3.4.32", reason);
        Assert.Equal(once, bytes);
    }

    [Fact]
    public void PatchFileReplacesTheFileInsteadOfWritingThroughAHardLink()
    {
        if (!OperatingSystem.IsLinux()) return;
        string dir = Directory.CreateTempSubdirectory("torchspecs-glibcxx").FullName;
        try
        {
            string source = Path.Combine(dir, "cache.so"), linked = Path.Combine(dir, "output.so");
            File.Copy(NuGetCopy(), source);
            File.SetLastWriteTimeUtc(source, new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc));
            Assert.Equal(0, Link(source, linked));

            Assert.True(TorchSpecsElfVersionNeeds.TryPatchFile(linked, out _));

            Assert.Contains(LibStdCppNeeds(File.ReadAllBytes(source)), n => n.Version == "GLIBCXX_3.4.32");
            Assert.DoesNotContain(LibStdCppNeeds(File.ReadAllBytes(linked)), n => n.Version == "GLIBCXX_3.4.32");
            Assert.Equal(File.GetLastWriteTimeUtc(source), File.GetLastWriteTimeUtc(linked));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void TheBuildOutputNeedsNothingTheSystemLacks()
    {
        if (!OperatingSystem.IsLinux()) return;
        string? system = TorchSpecsElfVersionNeeds.FindSystemLibStdCpp();
        Assert.NotNull(system);
        var needs = LibStdCppNeeds(File.ReadAllBytes(OutputCopy()));
        bool systemHas3432 = TorchSpecsElfVersionNeeds.Defines(system!, "GLIBCXX_3.4.32");
        foreach (var need in needs.Where(n => n.Version.StartsWith("GLIBCXX_", StringComparison.Ordinal)))
            Assert.True(TorchSpecsElfVersionNeeds.Defines(system!, need.Version), $"{OutputCopy()} needs {need.Version}, which {system} lacks");
        // Patched only where needed: on a system that has 3.4.32 the output is the original.
        if (systemHas3432) Assert.Contains(needs, n => n.Version == "GLIBCXX_3.4.32");
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "link", SetLastError = true)]
    private static extern int Link(string oldPath, string newPath);
}
