using System.Diagnostics;
using System.Runtime.InteropServices;

namespace TorchSpecs;

/// <summary>Writes a file so that readers see the old content or the new, never a part.</summary>
public static partial class AtomicFile
{
    /// <summary>
    /// Calls <paramref name="write"/> on a temporary file beside <paramref name="path"/>, fsyncs
    /// it, renames it over <paramref name="path"/> and fsyncs the folder, so that the rename
    /// itself survives a crash. If anything throws, the temporary file is deleted and
    /// <paramref name="path"/> is untouched. Temporary files that killed writers left beside
    /// <paramref name="path"/> (their process is gone) are deleted first.
    /// </summary>
    public static void Write(string path, Action<Stream> write)
    {
        string full = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(directory);
        RemoveOrphans(full);
        string temp = $"{full}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            TestHooks.Pause("before-rename", full);
            File.Move(temp, full, overwrite: true);
            SyncDirectory(directory);
        }
        catch
        {
            try { File.Delete(temp); } catch (IOException) { }
            throw;
        }
    }

    /// <summary>Deletes <c>path.PID.GUID.tmp</c> files whose writing process no longer runs. Returns how many.</summary>
    public static int RemoveOrphans(string path)
    {
        string full = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(full)!, name = Path.GetFileName(full);
        if (!Directory.Exists(directory)) return 0;
        int removed = 0;
        foreach (var file in Directory.EnumerateFiles(directory, name + ".*.tmp"))
        {
            string[] parts = Path.GetFileName(file)[(name.Length + 1)..].Split('.');
            if (parts.Length != 3 || !int.TryParse(parts[0], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int pid)) continue;
            if (pid == Environment.ProcessId || IsRunning(pid)) continue;
            try
            {
                File.Delete(file);
                removed++;
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return removed;
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException) { return false; }
        catch (InvalidOperationException) { return false; }
    }

    /// <summary>fsync on the folder, so that a rename in it is on disk (POSIX; a no-op elsewhere).</summary>
    public static void SyncDirectory(string directory)
    {
        if (OperatingSystem.IsWindows()) return;
        int fd = Open(directory, 0 /* O_RDONLY */);
        if (fd < 0) return;
        try { _ = Fsync(fd); }
        finally { _ = Close(fd); }
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync")]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}

/// <summary>
/// Lets a test stop a process at a named point of a save (to kill it there): when the
/// environment variable TORCHSPECS_TEST_PAUSE names the point, the process writes the file
/// TORCHSPECS_TEST_PAUSE_MARKER and sleeps. Unset, it costs one lookup per save.
/// </summary>
internal static class TestHooks
{
    public static void Pause(string point, string detail)
    {
        string? wanted = Environment.GetEnvironmentVariable("TORCHSPECS_TEST_PAUSE");
        if (string.IsNullOrEmpty(wanted) || !string.Equals(wanted, point, StringComparison.Ordinal)) return;
        string? marker = Environment.GetEnvironmentVariable("TORCHSPECS_TEST_PAUSE_MARKER");
        if (marker is null || File.Exists(marker)) return;
        File.WriteAllText(marker, detail);
        Thread.Sleep(TimeSpan.FromMinutes(5));
    }
}
