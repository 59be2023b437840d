// TorchSharp 0.107's libLibTorchSharp.so is linked against GCC 13's libstdc++ and asks
// for GLIBCXX_3.4.32; Debian 12 and Ubuntu 22.04 ship libstdc++ up to GLIBCXX_3.4.30, so
// the library does not load there. The only symbol under that version is
// _ZSt21ios_base_library_initv, a bare reference that GCC 13's <iostream> emits and no
// relocation uses. Pointing that one version-need entry at GLIBCXX_3.4.30 (the hash and
// name of the existing 3.4.30 entry, vna_other kept so .gnu.version stays valid) makes the
// library load and run. Three bytes change, in the build-output copy only.
//
// This file is compiled twice: by MSBuild's RoslynCodeTaskFactory for the build target in
// TorchSpecs.targets, and by the test project (with TORCHSPECS_TESTS defined) to test the
// patcher itself.
#nullable enable
using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

/// <summary>Reads and patches the GNU version-need table of a 64-bit little-endian ELF file.</summary>
public static class TorchSpecsElfVersionNeeds
{
    public const string Missing = "GLIBCXX_3.4.32";
    public const string Replacement = "GLIBCXX_3.4.30";
    const string LibStdCpp = "libstdc++.so.6";
    const uint ShtGnuVerneed = 0x6ffffffe;

    static readonly string[] SystemLibStdCppCandidates =
    {
        "/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib/x86_64-linux-gnu/libstdc++.so.6",
        "/lib/aarch64-linux-gnu/libstdc++.so.6", "/usr/lib/aarch64-linux-gnu/libstdc++.so.6",
        "/usr/lib64/libstdc++.so.6", "/lib64/libstdc++.so.6", "/usr/lib/libstdc++.so.6",
    };

    /// <summary>One version-need entry: the library it is needed from and the version name.</summary>
    public struct Need
    {
        public string File;
        public string Version;
        public uint Hash;
        internal int AuxOffset;
        internal uint NameOffset;
    }

    /// <summary>The system's libstdc++, or null when none of the usual paths has one.</summary>
    public static string? FindSystemLibStdCpp()
    {
        foreach (var path in SystemLibStdCppCandidates)
            if (File.Exists(path)) return path;
        return null;
    }

    /// <summary>True when the library file defines (exports) the given version name.</summary>
    public static bool Defines(string libraryPath, string version)
    {
        byte[] bytes = File.ReadAllBytes(libraryPath);
        byte[] needle = Encoding.ASCII.GetBytes(version + "\0");
        for (int i = 0; i + needle.Length <= bytes.Length; i++)
        {
            int j = 0;
            while (j < needle.Length && bytes[i + j] == needle[j]) j++;
            if (j == needle.Length && (i == 0 || bytes[i - 1] == 0)) return true;
        }
        return false;
    }

    /// <summary>Every version-need entry of an ELF image, in file order.</summary>
    public static List<Need> ReadNeeds(byte[] elf)
    {
        var needs = new List<Need>();
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
            throw new InvalidDataException("not an ELF file");
        if (elf[4] != 2 || elf[5] != 1)
            throw new InvalidDataException("not a 64-bit little-endian ELF file");

        long shoff = (long)U64(elf, 0x28);
        int shentsize = U16(elf, 0x3A), shnum = U16(elf, 0x3C);
        for (int i = 0; i < shnum; i++)
        {
            long sh = shoff + (long)i * shentsize;
            if (U32(elf, sh + 4) != ShtGnuVerneed) continue;
            long offset = (long)U64(elf, sh + 24);
            uint link = U32(elf, sh + 40), count = U32(elf, sh + 44);
            long strtab = (long)U64(elf, shoff + (long)link * shentsize + 24);

            long vn = offset;
            for (uint n = 0; n < count; n++)
            {
                ushort auxCount = U16(elf, vn + 2);
                string file = CString(elf, strtab + U32(elf, vn + 4));
                long aux = vn + U32(elf, vn + 8);
                for (int a = 0; a < auxCount; a++)
                {
                    uint nameOffset = U32(elf, aux + 8);
                    needs.Add(new Need
                    {
                        File = file, Version = CString(elf, strtab + nameOffset),
                        Hash = U32(elf, aux), AuxOffset = checked((int)aux), NameOffset = nameOffset,
                    });
                    uint next = U32(elf, aux + 12);
                    if (next == 0) break;
                    aux += next;
                }
                uint nextNeed = U32(elf, vn + 12);
                if (nextNeed == 0) break;
                vn += nextNeed;
            }
        }
        return needs;
    }

    /// <summary>
    /// Rewrites the libstdc++ GLIBCXX_3.4.32 need as GLIBCXX_3.4.30 in the image. Returns
    /// false (and a reason) when there is nothing to do or it cannot be done safely.
    /// </summary>
    public static bool TryPatch(byte[] elf, out string reason)
    {
        Need? missing = null, replacement = null;
        foreach (var need in ReadNeeds(elf))
        {
            if (need.File != LibStdCpp) continue;
            if (need.Version == Missing) missing = need;
            if (need.Version == Replacement) replacement = need;
        }
        if (missing is null) { reason = "it does not need " + Missing; return false; }
        if (replacement is null) { reason = "it has no " + Replacement + " entry to point at"; return false; }

        int at = missing.Value.AuxOffset;
        WriteU32(elf, at, replacement.Value.Hash);                // vna_hash
        WriteU32(elf, at + 8, replacement.Value.NameOffset);      // vna_name; vna_flags and vna_other kept
        reason = Missing + " -> " + Replacement;
        return true;
    }

    /// <summary>
    /// Patches a file in place by writing a new file and renaming it over the old one, so a
    /// hard link into the NuGet cache is replaced, never written through. The modification
    /// time is kept, so incremental builds do not copy the original again.
    /// </summary>
    public static bool TryPatchFile(string path, out string reason)
    {
        byte[] bytes = File.ReadAllBytes(path);
        if (!TryPatch(bytes, out reason)) return false;
        DateTime stamp = File.GetLastWriteTimeUtc(path);
        string temp = path + ".torchspecs-tmp";
        File.WriteAllBytes(temp, bytes);
        File.SetLastWriteTimeUtc(temp, stamp);
        File.Delete(path);
        File.Move(temp, path);
        return true;
    }

    static ushort U16(byte[] b, long o) => (ushort)(b[o] | b[o + 1] << 8);
    static uint U32(byte[] b, long o) => (uint)(b[o] | b[o + 1] << 8 | b[o + 2] << 16 | b[o + 3] << 24);
    static ulong U64(byte[] b, long o) => U32(b, o) | (ulong)U32(b, o + 4) << 32;
    static void WriteU32(byte[] b, int o, uint v)
    {
        b[o] = (byte)v; b[o + 1] = (byte)(v >> 8); b[o + 2] = (byte)(v >> 16); b[o + 3] = (byte)(v >> 24);
    }
    static string CString(byte[] b, long o)
    {
        long end = o;
        while (end < b.Length && b[end] != 0) end++;
        return Encoding.ASCII.GetString(b, checked((int)o), checked((int)(end - o)));
    }
}

#if !TORCHSPECS_TESTS
/// <summary>MSBuild task: applies the fix to every libLibTorchSharp.so below Directory.</summary>
public class FixLibTorchSharpGlibcxx : Microsoft.Build.Utilities.Task
{
    [Microsoft.Build.Framework.Required]
    public string Directory { get; set; } = "";

    public override bool Execute()
    {
        if (!System.IO.Directory.Exists(Directory)) return true;
        string? system = TorchSpecsElfVersionNeeds.FindSystemLibStdCpp();
        if (system is null)
        {
            Log.LogMessage("TorchSpecs: no system libstdc++.so.6 found; libLibTorchSharp.so left as it is.");
            return true;
        }
        if (TorchSpecsElfVersionNeeds.Defines(system, TorchSpecsElfVersionNeeds.Missing))
        {
            Log.LogMessage("TorchSpecs: " + system + " has " + TorchSpecsElfVersionNeeds.Missing + "; no fix needed.");
            return true;
        }
        foreach (var file in System.IO.Directory.GetFiles(Directory, "libLibTorchSharp.so", SearchOption.AllDirectories))
        {
            try
            {
                if (TorchSpecsElfVersionNeeds.TryPatchFile(file, out string reason))
                    Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Normal, "TorchSpecs: patched " + file + ": " + reason);
                else
                    Log.LogMessage("TorchSpecs: " + file + " left as it is: " + reason);
            }
            catch (Exception e) when (e is IOException || e is InvalidDataException || e is UnauthorizedAccessException)
            {
                Log.LogWarning("TorchSpecs: could not fix " + file + " for " + system + ": " + e.Message);
            }
        }
        return true;
    }
}
#endif
