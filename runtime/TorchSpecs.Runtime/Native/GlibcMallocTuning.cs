using System.Runtime.InteropServices;

namespace TorchSpecs.Native;

/// <summary>
/// Keeps glibc's malloc from returning libtorch's large activation buffers to the kernel after
/// every step. By default glibc serves each allocation above its mmap threshold as a fresh
/// <c>mmap</c> and unmaps it on free, so a network that allocates the same megabytes every step
/// spends a large share of its time in page faults and <c>munmap</c> (35–40% of CPU time was
/// kernel time for a small CNN on this project's 2-core machine). This raises the mmap threshold
/// to 32 MiB, turns off mmap for malloc, pads the heap top by 256 MiB and never trims it, the
/// same as setting <c>MALLOC_MMAP_THRESHOLD_</c>, <c>MALLOC_MMAP_MAX_</c>, <c>MALLOC_TOP_PAD_</c>
/// and <c>MALLOC_TRIM_THRESHOLD_</c> from outside. Memory freed by libtorch stays in the
/// process for reuse: the resident size settles at the peak of one step instead of going up and
/// down every step.
/// </summary>
/// <remarks>
/// Linux with glibc only; elsewhere (or under musl) <see cref="TryApply"/> does nothing and says
/// why. Call it once, early, before the first large tensor. The bench verb applies it unless
/// given <c>--no-malloc-tuning</c>; any program can call it.
/// </remarks>
public static class GlibcMallocTuning
{
    // mallopt parameters, from glibc's malloc.h.
    private const int M_TRIM_THRESHOLD = -1;
    private const int M_TOP_PAD = -2;
    private const int M_MMAP_THRESHOLD = -3;
    private const int M_MMAP_MAX = -4;

    private static readonly object Gate = new();
    private static string? _applied;

    /// <summary>True once <see cref="TryApply"/> has succeeded in this process.</summary>
    public static bool IsApplied => _applied is not null;

    /// <summary>
    /// Applies the settings once per process. Returns true when glibc accepted all four;
    /// <paramref name="status"/> says what was done, or why nothing was.
    /// </summary>
    public static bool TryApply(out string status)
    {
        lock (Gate)
        {
            if (_applied is not null) { status = _applied; return true; }
            if (!OperatingSystem.IsLinux()) { status = "not Linux: malloc left as it is"; return false; }
            try
            {
                bool ok = mallopt(M_MMAP_THRESHOLD, 32 << 20) == 1
                        & mallopt(M_MMAP_MAX, 0) == 1
                        & mallopt(M_TOP_PAD, 256 << 20) == 1
                        & mallopt(M_TRIM_THRESHOLD, int.MaxValue) == 1;
                if (!ok) { status = "glibc refused a mallopt setting: malloc left partly tuned"; return false; }
                _applied = status = "glibc malloc: mmap threshold 32 MiB, no mmap, top pad 256 MiB, no trim";
                return true;
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
            {
                status = "no glibc mallopt (" + e.GetType().Name + "): malloc left as it is";
                return false;
            }
        }
    }

    [DllImport("libc", EntryPoint = "mallopt", CallingConvention = CallingConvention.Cdecl)]
    private static extern int mallopt(int param, int value);
}
